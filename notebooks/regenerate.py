"""Run every notebook here and save it with its outputs (plots, tables, printed results).

    python notebooks/regenerate.py            # all of them
    python notebooks/regenerate.py 01_fit_equations.ipynb

The notebooks are committed with their outputs so that a reader browsing the repository
sees the results; this is the one command that refreshes them after a change (the tests
execute them too, and check that the committed copies carry outputs).  Files the
notebooks write (pareto_front.png, ...) go to a temporary folder, not into the repository.
Volatile metadata (execution times, kernel versions) is dropped so that a rerun with the
same results gives a small diff.  Needs ``pip install -e ".[test]"`` (nbclient, ipykernel).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def regenerate(path: Path) -> None:
    """Execute ``path`` and write it back with its outputs."""
    import nbclient
    import nbformat

    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as folder:
        nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                resources={"metadata": {"path": folder}}).execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nb.metadata.pop("widgets", None)
    nb.metadata.get("language_info", {}).pop("version", None)
    nbformat.write(nb, path)


def main(argv: list[str]) -> int:
    paths = [HERE / name for name in argv] if argv else sorted(HERE.glob("*.ipynb"))
    for path in paths:
        print(f"running {path.name} ...", flush=True)
        regenerate(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
