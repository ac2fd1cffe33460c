"""Every notebook runs top to bottom (small sizes: BAYESREG_FAST=1), never saved back."""

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("BAYESREG_FAST", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [out for cell in nb.cells if cell.cell_type == "code"
              for out in cell.get("outputs", []) if out.get("output_type") == "error"]
    assert not errors
    stderr = [out.get("text", "") for cell in nb.cells if cell.cell_type == "code"
              for out in cell.get("outputs", []) if out.get("name") == "stderr"]
    assert not any("Warning" in text for text in stderr), stderr


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_notebook_shows_its_figures(path):
    """A notebook on GitHub should show its plots without being run: every cell that draws
    (calls a plotting function) has a PNG among its committed outputs."""
    nb = nbformat.read(path, as_version=4)
    drawing = [cell for cell in nb.cells if cell.cell_type == "code" and "plot" in cell.source
               and not cell.source.lstrip().startswith(("import", "from", "def "))]
    assert drawing, f"{path.name} draws no figure"
    missing = [cell.source.splitlines()[0] for cell in drawing
               if not any("image/png" in out.get("data", {}) for out in cell.get("outputs", []))]
    assert not missing, f"{path.name}: cells without a committed figure: {missing}"
