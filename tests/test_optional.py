"""srkit._optional: a missing optional package gives an error that says how to install it."""

from __future__ import annotations

import math

import pytest

from srkit._optional import require


def test_require_returns_the_module() -> None:
    assert require("math", "arithmetic", "none") is math


def test_require_names_the_feature_and_the_extra() -> None:
    with pytest.raises(ImportError, match=r"the scatter plot needs no_such_pkg_srkit.*pip install 'srkit\[contfrac\]'"):
        require("no_such_pkg_srkit.sub", "the scatter plot", "contfrac")
