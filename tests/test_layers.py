"""The layers of docs/ARCHITECTURE.md hold: core (with export) <- fitness <- search <- the rest.

Every import statement of srkit/ is read, including the ones inside functions: a lazy
import that runs the wrong way is still a dependency the wrong way.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRKIT = Path(__file__).resolve().parents[1] / "srkit"

#: rank of each layer; packages not named here form the top layer (estimator, cli, alpha, ...)
LAYER = {"core": 0, "export": 0, "fitness": 1, "units": 1.5, "search": 2}
TOP = 3

#: private names imported across packages that predate the rule and are not yet fixed
KNOWN_PRIVATE = {("problems/spec.py", "srkit.core.parse", "_tokenize")}


def _package(module: str) -> str:
    """``srkit.fitness.evaluator`` -> ``fitness``; ``srkit.cli`` -> ``cli``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module, imported names, line) of every absolute srkit import in ``path``."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names if a.name.split(".")[0] == "srkit"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] == "srkit":
                out.append((node.module, [a.name for a in node.names], node.lineno))
    return out


MODULES = sorted(p for p in SRKIT.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRKIT)))
def test_no_import_runs_up_a_layer(path: Path) -> None:
    rel = path.relative_to(SRKIT)
    source = LAYER.get(rel.parts[0] if len(rel.parts) > 1 else rel.stem, TOP)
    wrong = [f"line {line}: {module}" for module, _, line in _imports(path)
             if LAYER.get(_package(module), TOP) > source]
    assert not wrong, f"{rel} (layer {source}) imports an upper layer: {wrong}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRKIT)))
def test_no_private_name_is_imported_from_another_package(path: Path) -> None:
    rel = path.relative_to(SRKIT)
    own = rel.parts[0] if len(rel.parts) > 1 else rel.stem
    private = [f"line {line}: {name} from {module}" for module, names, line in _imports(path)
               for name in names
               if name.startswith("_") and not name.startswith("__") and _package(module) != own
               and (rel.as_posix(), module, name) not in KNOWN_PRIVATE]
    assert not private, f"{rel} imports private names of another package: {private}"
