"""Look-up of benchmark problems and suites by name."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from .spec import BenchmarkProblem
from .suites import build_problems

_PROBLEMS: dict[str, BenchmarkProblem] = {}
_SUITES: dict[str, tuple[str, ...]] = {}
_KEYS: dict[str, str] = {}  # normalised name or alias -> canonical name


def _norm(name: str) -> str:
    """Case-insensitive key that also ignores ``-``, ``_`` and spaces."""
    return "".join(ch for ch in name.strip().lower() if ch not in "-_ ")


def _build() -> None:
    problems, suites = build_problems()
    keys: dict[str, str] = {}
    for p in problems:
        for label in (p.name, *p.aliases):
            k = _norm(label)
            if keys.get(k, p.name) != p.name:
                raise RuntimeError(f"name {label!r} is ambiguous: {keys[k]} and {p.name}")
            keys[k] = p.name
    _PROBLEMS.update((p.name, p) for p in problems)
    _SUITES.update(suites)
    _KEYS.update(keys)


_build()


def _did_you_mean(word: str, choices: dict[str, str], n: int = 3) -> list[str]:
    close = difflib.get_close_matches(_norm(word), list(choices), n=n * 3, cutoff=0.6)
    return list(dict.fromkeys(choices[c] for c in close))[:n]


def get(name: str) -> BenchmarkProblem:
    """Return the problem called ``name`` (case-insensitive; aliases accepted).

    Raises
    ------
    ValueError
        For an unknown name, with close matches ("did you mean ...").

    Examples
    --------
    >>> get("nguyen1").name, get("feynman-I.6.20a").name, get("feynman-1").name
    ('Nguyen-1', 'I.6.2a', 'I.6.2a')
    """
    if not isinstance(name, str):
        raise TypeError(f"problem name must be a str, got {type(name).__name__}")
    canonical = _KEYS.get(_norm(name))
    if canonical is None:
        hints = _did_you_mean(name, _KEYS)
        msg = f"unknown benchmark problem {name!r}"
        if hints:
            msg += f"; did you mean {', '.join(repr(h) for h in hints)}?"
        raise ValueError(msg + f" (suites: {', '.join(_SUITES)})")
    return _PROBLEMS[canonical]


def _suite_key(name: str) -> str:
    key = {_norm(s): s for s in _SUITES}.get(_norm(name))
    if key is None:
        choices = {_norm(s): s for s in _SUITES}
        hints = _did_you_mean(name, choices)
        msg = f"unknown suite {name!r}"
        if hints:
            msg += f"; did you mean {', '.join(repr(h) for h in hints)}?"
        raise ValueError(msg + f" Known suites: {', '.join(_SUITES)}")
    return key


def suite(name: str) -> list[BenchmarkProblem]:
    """The problems of suite ``name`` in suite order.

    Examples
    --------
    >>> [p.name for p in suite("koza")]
    ['Koza-1', 'Koza-2', 'Koza-3']
    """
    return [_PROBLEMS[n] for n in _SUITES[_suite_key(name)]]


def suites() -> list[str]:
    """Names of the known suites.

    Examples
    --------
    >>> suites()[:3]
    ['nguyen', 'nguyen-c', 'constant']
    """
    return list(_SUITES)


def names(suite: str | None = None) -> list[str]:
    """Canonical problem names, of one suite or of all problems.

    Examples
    --------
    >>> names("r")
    ['R1', 'R2', 'R3']
    """
    if suite is None:
        return list(_PROBLEMS)
    return list(_SUITES[_suite_key(suite)])


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def format_table(problems: Iterable[BenchmarkProblem], formula_width: int = 60) -> str:
    """A plain-text table of problems (name, suite, d, formula, train, test).

    Examples
    --------
    >>> lines = format_table(suite("r")).splitlines()
    >>> lines[0].split()
    ['name', 'suite', 'd', 'formula', 'train', 'test']
    >>> lines[2].split()[:4]
    ['R1', 'r', '1', '(x1+1)**3/(x1**2-x1+1)']
    """
    header = ("name", "suite", "d", "formula", "train", "test")
    rows = [
        (
            p.name,
            p.suite,
            str(p.n_variables),
            _clip(p.formula, formula_width),
            p.train.describe(),
            p.test.describe(),
        )
        for p in problems
    ]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(header, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)
