import json

import numpy as np
import pytest

from bayesreg import ModelFileError
from bayesreg.cli import main
from bayesreg.mlp import (
    BinaryCrossEntropy,
    FeedForwardNetwork,
    Scaler,
    SoftmaxCrossEntropy,
    SquaredError,
    load_network,
    load_split,
    save_network,
    train,
)
from bayesreg.mlp.experiments import regression_experiment, run_experiment, summarize, train_config
from bayesreg.mlp.layers import ReLU, ScaledReLU, Sigmoid, Tanh


@pytest.fixture(scope="module")
def mnist():
    return load_split("mnist5k", seed=0)


def test_split_is_shuffled_scaled_and_reproducible(mnist):
    assert mnist.X_train.shape == (4000, 784) and mnist.X_val.shape == (1000, 784)
    assert mnist.X_train.dtype == np.float32
    assert -0.5 <= mnist.X_train.min() and mnist.X_train.max() < 0.5
    assert set(np.bincount(mnist.y_val)) != {0} and len(np.unique(mnist.y_val)) == 10
    again = load_split("mnist5k", seed=0)
    np.testing.assert_array_equal(again.y_train, mnist.y_train)
    unit = load_split("mnist5k", seed=0, scaling="unit")
    assert unit.X_train.min() == 0.0 and unit.X_train.max() == 1.0
    std = load_split("mnist5k", seed=0, scaling="standardize")
    assert abs(float(std.X_train.mean())) < 1e-3


def test_default_network_learns_mnist_well_above_chance(mnist):
    _, history = train_config(mnist, {"max_epochs": 200})
    assert not history.diverged
    assert history.final_val_acc > 0.8   # chance is 0.1
    assert history.train_loss[-1] < history.train_loss[0]


def test_same_seed_same_curves(mnist):
    a = train_config(mnist, {"max_epochs": 3, "seed": 5})[1]
    b = train_config(mnist, {"max_epochs": 3, "seed": 5})[1]
    c = train_config(mnist, {"max_epochs": 3, "seed": 6})[1]
    assert a.train_loss == b.train_loss and a.val_acc == b.val_acc
    assert a.train_loss != c.train_loss


def test_blow_up_stops_with_a_message_and_no_warnings(mnist):
    # filterwarnings = error: any numpy overflow warning would fail this test
    _, history = train_config(mnist, {"activation": "scaled_relu", "num_layers": 5, "step_size": 1.0, "max_epochs": 20})
    assert history.diverged
    assert "try a smaller step size" in history.message
    assert len(history.epoch) < 20 and len(history.train_loss) == len(history.epoch)


@pytest.mark.parametrize("layer", [Sigmoid(), Tanh(), ReLU(), ScaledReLU(5.0)])
def test_activations_are_stable_at_large_inputs(layer):
    x = np.array([[-1e4, -50.0, 0.0, 50.0, 1e4]])
    out = layer.forward(x)
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(layer.backward(np.ones_like(x))))


def test_losses_are_stable_at_large_logits():
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0]])
    ce = SoftmaxCrossEntropy()
    assert ce.forward(logits, np.array([0, 1])) == pytest.approx(0.0)
    assert np.isfinite(ce.forward(logits, np.array([1, 0])))
    bce = BinaryCrossEntropy()
    assert bce.forward(np.array([[1e4], [-1e4]]), np.array([1, 0])) == pytest.approx(0.0)
    assert bce.forward(np.array([[1e4]]), np.array([0])) == pytest.approx(1e4)
    assert np.all(np.isfinite(bce.backward()))


def test_tiny_data_set_is_fitted_to_near_zero_loss():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(8, 3)), np.arange(8) % 2
    net = FeedForwardNetwork(3, 2, 16, 3, "tanh", seed=0, dtype=np.float64)
    history = train(net, SoftmaxCrossEntropy(), X, y, step_size=0.5, batch_size=8, max_epochs=500, seed=0)
    assert history.train_loss[-1] < 1e-2 and history.train_acc[-1] == 1.0


def test_momentum_weight_decay_and_dropout_change_training(mnist):
    small = load_split("digits", seed=0)
    plain = train_config(small, {"max_epochs": 5, "seed": 1})[1]
    for extra in ({"momentum": 0.9}, {"weight_decay": 0.01}, {"dropout": 0.2}, {"residual": True, "num_layers": 4}):
        other = train_config(small, {"max_epochs": 5, "seed": 1, **extra})[1]
        assert other.train_loss != plain.train_loss, extra
        assert not other.diverged


def test_regression_use_compares_activations():
    table, fits = regression_experiment(max_epochs=150)
    assert table.loc["identity", "test_mse"] > 0.15          # a line cannot fit sin
    assert table.loc["relu", "test_mse"] < 0.05 and table.loc["tanh", "test_mse"] < 0.05
    assert set(fits) == {"relu", "tanh", "identity"}


def test_squared_error_conventions():
    out, y = np.array([[1.0], [3.0]]), np.array([0.0, 1.0])
    values = {c: SquaredError(c).forward(out, y) for c in ("half_sum", "sum", "mean")}
    assert values == {"half_sum": 2.5, "sum": 5.0, "mean": 2.5}


def test_experiments_and_summary(mnist):
    runs = run_experiment("seeds", mnist, base={"max_epochs": 2}, values=[0, 1, 2])
    table = summarize(runs)
    assert list(table.index) == ["seed 0", "seed 1", "seed 2", "mean", "sd"]
    depth = run_experiment("depth", load_split("digits", seed=0), base={"max_epochs": 2})
    assert len(depth) == 8 and {r.config["num_layers"] for r in depth} == {2, 5}


def test_save_load_round_trip_and_atomicity(tmp_path, monkeypatch):
    net = FeedForwardNetwork(6, 3, 4, 3, "relu", seed=0)
    path = save_network(net, tmp_path / "m.npz", metadata={"note": "x"})
    loaded, meta = load_network(path)
    X = np.random.default_rng(0).normal(size=(5, 6)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict_output(X), net.predict_output(X))
    assert meta["note"] == "x" and meta["architecture"]["num_layers"] == 3

    import bayesreg.mlp.persistence as persistence

    def crash(handle, **arrays):
        handle.write(b"PK\x03\x04 half")
        raise KeyboardInterrupt

    monkeypatch.setattr(persistence.np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        save_network(FeedForwardNetwork(6, 3, 4, 2, "relu", seed=1), path)
    np.testing.assert_array_equal(load_network(path)[0].predict_output(X), net.predict_output(X))


def test_load_errors(tmp_path):
    with pytest.raises(ModelFileError, match="model file not found"):
        load_network(tmp_path / "none.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ModelFileError, match="not a readable .npz"):
        load_network(bad)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, W=np.ones(3))
    with pytest.raises(ModelFileError, match="no bayesreg metadata"):
        load_network(foreign)
    path = save_network(FeedForwardNetwork(6, 3, 4, 2), tmp_path / "small.npz")
    with pytest.raises(ModelFileError, match="input_dim = 6, but 784 is needed"):
        load_network(path, expect={"input_dim": 784})


def _write_digits_csv(path, rows, header=None):
    lines = [",".join(header)] if header else []
    lines += [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("rows, message", [
    ([[3] + [0] * 783], "784 pixels|785 \\(label \\+ pixels\\)"),
    ([[3] + [0] * 784, [4] + [0] * 783 + ["x"]], "row 2, column 785: 'x' is not a number"),
    ([[12] + [0] * 784], "label 12 is not a digit 0-9"),
    ([[3] + [0] * 784, [1] + [0] * 783], "row 2, column 785 is empty"),
])
def test_malformed_csv_errors(tmp_path, rows, message):
    path = tmp_path / "d.csv"
    _write_digits_csv(path, rows)
    with pytest.raises(ValueError, match=message):
        load_split(str(path))


def test_cli_train_save_and_predict(tmp_path, capsys):
    model = tmp_path / "models" / "net.npz"
    code = main(["mlp", "train", "--data", "digits", "--epochs", "30", "--activation", "relu",
                 "--step-size", "0.1", "--width", "32", "--save", str(model), "--out", str(tmp_path),
                 "--json", str(tmp_path / "train.json")])
    assert code == 0 and model.exists() and (tmp_path / "learning_curves.png").exists()
    assert json.loads((tmp_path / "train.json").read_text())["final_val_acc"] > 0.8
    # predicting 28x28 digits with an 8x8 network is refused clearly
    csv = tmp_path / "test.csv"
    _write_digits_csv(csv, [[7] + [0] * 784], header=["id"] + [f"p{i}" for i in range(784)])
    assert main(["mlp", "predict", "--model", str(model), "--data", str(csv), "--output", str(tmp_path / "p.csv")]) == 2
    assert "needs 784 inputs" in capsys.readouterr().err


def test_cli_predict_writes_id_digit(tmp_path, capsys):
    model = tmp_path / "net.npz"
    assert main(["mlp", "train", "--epochs", "5", "--save", str(model), "--no-progress"]) == 0
    X = load_split("mnist5k", seed=0, scaling="unit").X_val[:4]
    pixels = np.rint(X * 255).astype(int)
    csv = tmp_path / "unlabelled.csv"
    _write_digits_csv(csv, [[100 + i, *row] for i, row in enumerate(pixels)])
    out = tmp_path / "pred.csv"
    assert main(["mlp", "predict", "--model", str(model), "--data", str(csv), "--output", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert lines[0] == "id,digit" and [line.split(",")[0] for line in lines[1:]] == ["100", "101", "102", "103"]
    assert all(0 <= int(line.split(",")[1]) <= 9 for line in lines[1:])
    assert main(["mlp", "predict", "--model", str(tmp_path / "missing.npz"), "--data", str(csv),
                 "--output", str(out)]) == 2
    assert "model file not found" in capsys.readouterr().err


def test_cli_experiment(tmp_path):
    assert main(["mlp", "experiment", "step-size", "--data", "digits", "--epochs", "3", "--out", str(tmp_path),
                 "--json", str(tmp_path / "e.json")]) == 0
    assert (tmp_path / "experiment_step-size.png").exists()
    assert len(json.loads((tmp_path / "e.json").read_text())["runs"]) == 4


def _train_784(path, scaling):
    assert main(["mlp", "train", "--epochs", "1", "--val-size", "0.5", "--width", "4", "--no-progress",
                 "--scaling", scaling, "--save", str(path)]) == 0


# every way of saving a network x every way of reading one: (writer, the scaling it stores)
WRITERS = {
    "save_network(net, path)": (lambda net, p: save_network(net, p), None),
    "save_network(scaling=unit)": (lambda net, p: save_network(net, p, scaling="unit"), "unit"),
    "save_network(scaling=Scaler)": (lambda net, p: save_network(net, p, scaling=Scaler("unit")), "unit"),
    "save_network(metadata=scaling)": (lambda net, p: save_network(net, p, metadata={"scaling": Scaler().to_dict()}),
                                       "centered"),
    "mlp train --save": (lambda net, p: _train_784(p, "unit"), "unit"),
}


@pytest.mark.parametrize("writer", list(WRITERS))
def test_every_saved_network_loads_in_every_reader(tmp_path, capsys, writer):
    write, stored = WRITERS[writer]
    path = tmp_path / "net.npz"
    write(FeedForwardNetwork(784, 10, 8, 2, "relu", seed=3), path)
    network, meta = load_network(path, expect={"input_dim": 784, "output_dim": 10})   # reader 1: the API
    assert meta.get("scaling", {}).get("kind") == stored
    pixels = np.random.default_rng(0).integers(0, 256, size=(6, 784))
    csv = tmp_path / "x.csv"
    _write_digits_csv(csv, [[10 + i, *row] for i, row in enumerate(pixels)])
    out = tmp_path / "pred.csv"
    capsys.readouterr()
    assert main(["mlp", "predict", "--model", str(path), "--data", str(csv), "--output", str(out),   # reader 2: the CLI
                 "--json", str(tmp_path / "p.json")]) == 0
    scaler = Scaler(stored or "centered")
    expected = np.argmax(network.predict_output(scaler.transform(pixels, network.dtype)), axis=1)
    assert out.read_text().splitlines() == ["id,digit"] + [f"{10 + i},{d}" for i, d in enumerate(expected)]
    assert json.loads((tmp_path / "p.json").read_text())["scaling"] == scaler.kind
    err = capsys.readouterr().err
    assert ("stores no pixel scaling" in err) == (stored is None)


def test_predict_scaling_option_and_committed_network(tmp_path, capsys):
    import pathlib

    path = save_network(FeedForwardNetwork(784, 10, 8, 2, seed=0), tmp_path / "net.npz")
    csv = tmp_path / "x.csv"
    _write_digits_csv(csv, [[0] * 784, [255] * 784])
    out = tmp_path / "p.csv"
    assert main(["mlp", "predict", "--model", str(path), "--data", str(csv), "--output", str(out),
                 "--scaling", "unit"]) == 0
    assert "stores no pixel scaling" not in capsys.readouterr().err
    stored = save_network(FeedForwardNetwork(784, 10, 8, 2, seed=0), tmp_path / "s.npz", scaling="centered")
    assert main(["mlp", "predict", "--model", str(stored), "--data", str(csv), "--output", str(out),
                 "--scaling", "unit"]) == 2
    assert "--scaling unit contradicts the scaling stored" in capsys.readouterr().err
    committed = pathlib.Path(__file__).parents[2] / "models" / "mnist_mlp.npz"
    assert main(["mlp", "predict", "--model", str(committed), "--data", str(csv), "--output", str(out)]) == 0


def test_a_huge_step_size_is_divergence_even_with_a_finite_loss():
    # step 1e6 keeps the loss finite (about 1e6) at chance accuracy: the old check saw only NaN
    split = load_split("digits", seed=0)
    _, history = train_config(split, {"step_size": 1e6, "max_epochs": 5})
    assert history.diverged and history.epoch == [1]
    assert history.train_loss[-1] > 10 * history.initial_loss
    assert history.suggested_step_size == 0.01 and "(e.g. 0.01)" in history.message
    _, history = train_config(split, {"step_size": 1e300, "max_epochs": 5})
    assert history.diverged and "e+" not in history.message.split("try")[1]   # not "1e+299"
    _, history = train_config(split, {"step_size": 0.05, "max_epochs": 5})
    assert not history.diverged


def test_cli_train_stops_a_diverged_run_with_one_line_and_exit_2(tmp_path, capsys):
    code = main(["mlp", "train", "--data", "digits", "--step-size", "1e6", "--epochs", "5", "--no-progress",
                 "--save", str(tmp_path / "net.npz"), "--json", str(tmp_path / "r.json")])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == "" and list(tmp_path.iterdir()) == []
    assert captured.err.count("\n") == 1 and "training diverged at epoch 1" in captured.err
    assert "try a smaller --step-size (e.g. 0.01)" in captured.err


def test_save_network_crashed_after_every_file_operation_leaves_old_or_new(tmp_path, monkeypatch):
    import os

    class Killed(BaseException):
        pass

    old, new = FeedForwardNetwork(6, 3, 4, 2, seed=0), FeedForwardNetwork(6, 3, 4, 2, seed=1)
    X = np.random.default_rng(0).normal(size=(4, 6)).astype(np.float32)
    outputs = {"old": old.predict_output(X).tobytes(), "new": new.predict_output(X).tobytes()}
    path = tmp_path / "net.npz"
    for k in range(50):
        save_network(old, path)
        done = []

        def counted(name, fn, k=k, done=done):
            def op(*args, **kwargs):
                if len(done) >= k:
                    raise Killed(name)   # this and every later operation: the process is dead
                done.append(name)
                return fn(*args, **kwargs)
            return op

        with monkeypatch.context() as patch:
            for name in ("open", "replace", "fsync", "chmod", "unlink"):
                patch.setattr(os, name, counted(name, getattr(os, name)))
            try:
                save_network(new, path)
                finished = True
            except Killed:
                finished = False
        seen = load_network(path)[0].predict_output(X).tobytes()
        assert seen == outputs["new"] if finished else seen in outputs.values(), f"crash after {done}"
        save_network(new, path)   # the next save removes the killed one's temporary file
        assert [p.name for p in tmp_path.iterdir()] == ["net.npz"]
        if finished:
            break
    assert finished and k >= 4, done
