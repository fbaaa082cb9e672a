"""Optional dependencies: import them when a feature needs them, or say how to install them."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["require"]


def require(module: str, feature: str, extra: str) -> ModuleType:
    """Import ``module`` for ``feature``, or raise ImportError naming the pip extra.

    >>> require("math", "arithmetic", "none").sqrt(4.0)
    2.0
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        raise ImportError(
            f"{feature} needs {top}, which is not installed: pip install 'srkit[{extra}]' ({exc})"
        ) from None
