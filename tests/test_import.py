"""`import srkit` stays cheap: no torch, deap, sympy or scipy at import time."""

import subprocess
import sys


def test_import_srkit_does_not_import_heavy_packages():
    code = (
        "import sys, srkit; "
        "print(','.join(m for m in ('torch', 'deap', 'sympy', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_public_names_are_exported():
    import srkit

    for name in ("SymbolicRegressor", "parse", "Expr", "Operator", "load", "default_registry"):
        assert name in srkit.__all__ and hasattr(srkit, name)
