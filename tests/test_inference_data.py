import numpy as np
import pytest

from bayesreg import inference_data


def _idata():
    rng = np.random.default_rng(0)
    return inference_data.from_draws({"w": rng.normal(size=(2, 50, 3))}, sample_stats={},
                                     observed_data={"y": rng.normal(size=4)}, dims={"w": ["feature"]},
                                     coords={"feature": ["a", "b", "c"]}, attrs={"seed": 0})


def test_from_draws_leaves_out_empty_groups_and_keeps_labels():
    idata = _idata()
    assert set(idata.groups()) == {"posterior", "observed_data"}
    assert list(idata.posterior["feature"].values) == ["a", "b", "c"]
    assert idata.attrs["seed"] == 0
    table = inference_data.summary_stats(idata, hdi_prob=0.9)
    assert list(table.index) == ["w[a]", "w[b]", "w[c]"]
    np.testing.assert_allclose(table["mean"].values, idata.posterior["w"].values.mean(axis=(0, 1)), rtol=1e-12)


def test_netcdf_round_trip(tmp_path):
    idata = _idata()
    inference_data.write_netcdf(idata, tmp_path / "p.nc")
    back = inference_data.read_netcdf(tmp_path / "p.nc")
    np.testing.assert_array_equal(back.posterior["w"].values, idata.posterior["w"].values)


def test_plot_refuses_unknown_kind():
    with pytest.raises(ValueError, match="kind must be one of trace"):
        inference_data.plot("histogram", _idata())
