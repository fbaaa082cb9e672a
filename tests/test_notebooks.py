"""The notebooks run end to end (their own cells assert the results)."""

from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    assert (tmp_path / "pareto_front.png").exists() or path.name != "01_fit_equations.ipynb"
    assert (tmp_path / "cf_clusters.png").exists() or path.name != "03_continued_fractions.ipynb"


def test_there_is_a_notebook():
    assert any(p.name == "01_fit_equations.ipynb" for p in NOTEBOOKS)
    assert any(p.name == "03_continued_fractions.ipynb" for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_notebook_carries_its_outputs(path):
    """A reader browsing the repository sees results: every code cell was run, in order,
    without errors, and the figures are there (`python notebooks/regenerate.py` refreshes them)."""
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), \
        f"{path.name} is not saved after a full run: run python notebooks/regenerate.py {path.name}"
    outputs = [o for c in code for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    if path.name in ("01_fit_equations.ipynb", "03_continued_fractions.ipynb"):
        assert any("image/png" in o.get("data", {}) for o in outputs), f"{path.name} shows no plot"
