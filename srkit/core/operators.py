"""Operators: one record per mathematical operation, a catalogue, and a per-run set.

An :class:`Operator` keeps every backend of one operation in one place (numpy,
sympy, torch, LaTeX) together with its arity and complexity cost.  The
:class:`OperatorRegistry` is the catalogue of known operators; user operators are
registered with one call and every backend is checked right then, not after a
fit.  An :class:`OperatorSet` is the choice one run makes from a registry, with
sampling weights, mapped to the integer codes that :class:`~srkit.core.expr.Expr`
stores, plus the names of the run's input variables.
"""

from __future__ import annotations

import difflib
import importlib
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Operator",
    "OperatorRegistry",
    "OperatorSet",
    "VAR",
    "COEF",
    "N_TERMINAL_CODES",
    "suggest",
]

#: Code of a variable leaf; its argument id is the feature index.
VAR = 0
#: Code of a fitted coefficient leaf; its argument id is the slot in ``Expr.coefs``.
COEF = 1
#: Codes below this are terminals that every operator set has.
N_TERMINAL_CODES = 2

Backend = Callable[..., Any] | str | None


def suggest(name: str, known: Iterable[str]) -> str:
    """Return a "did you mean" hint for ``name`` among ``known`` (or "")."""
    known = list(known)
    same_but_case = [k for k in known if k.lower() == name.lower() and k != name]
    close = same_but_case or difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    if not close:
        return ""
    return " Did you mean " + " or ".join(repr(c) for c in close) + "?"


def _resolve(form: Backend, module_name: str) -> Any:
    """Turn a backend given as a module attribute name into the object itself."""
    if isinstance(form, str):
        module = importlib.import_module(module_name)
        obj: Any = module
        for part in form.split("."):
            obj = getattr(obj, part)
        return obj
    return form


@dataclass(frozen=True)
class Operator:
    """One operation with all of its backends.

    Parameters
    ----------
    name : canonical name, used in printing and parsing (``"sin"``).
    arity : number of arguments; 0 for a named constant such as ``pi``.
    numpy : total function on float64 arrays: returns nan/inf off its domain and
        never raises.  For a constant (arity 0) the float value.
    sympy : callable on sympy objects, or the name of a sympy attribute
        (``"sin"``, ``"pi"``).
    torch : callable on tensors, or the name of a torch attribute; for a constant
        leave it ``None`` (the float value is used).
    latex : template with ``{0}``, ``{1}`` for the arguments.
    complexity : cost of one node of this operator in the weighted complexity.
    infix : symbol when printed between its two arguments (``"+"``), else None.
    precedence : binding strength for infix printing and parsing.
    aliases : other names the parser accepts (``"ln"`` for ``log``).
    text : printing template when the canonical text is not ``name(args)``, e.g.
        ``"ts_mean({0}, 5)"`` for a window-specialised panel operator (the parser
        reads that form back, see :func:`srkit.core.parse.parse`).
    units : how the operation treats physical units (:mod:`srkit.units.dimensions`):
        ``"match"`` (arguments of equal units, as add), ``"product"``, ``"quotient"``,
        ``"power"`` (a dimensionless exponent, a constant one if the base has units),
        ``"power:K"`` (the argument's units to the rational power K: ``"power:1/2"``
        for sqrt, ``"power:1"`` for neg or abs), or ``"dimensionless"`` (arguments and
        result are pure numbers, as exp, sin; the default, and named constants' rule).

    Examples
    --------
    >>> import numpy as np
    >>> op = Operator("sinc", 1, numpy=np.sinc, sympy=lambda a: __import__("sympy").sinc(__import__("sympy").pi * a),
    ...               torch="sinc", latex=r"\\operatorname{{sinc}}\\left({0}\\right)")
    >>> op.arity
    1
    """

    name: str
    arity: int
    numpy: Any
    sympy: Backend
    torch: Backend = None
    latex: str = ""
    complexity: float = 1.0
    infix: str | None = None
    precedence: int = 100
    aliases: tuple[str, ...] = ()
    text: str = ""
    units: str = "dimensionless"

    @property
    def is_constant(self) -> bool:
        return self.arity == 0

    @property
    def value(self) -> float:
        """The float value of a named constant (arity 0)."""
        if self.arity != 0:
            raise TypeError(f"operator {self.name!r} is not a constant")
        return float(self.numpy)

    def sympy_form(self) -> Any:
        return _resolve(self.sympy, "sympy")

    def torch_form(self) -> Any:
        if self.arity == 0 and self.torch is None:
            return self.value
        return _resolve(self.torch, "torch")

    def latex_template(self) -> str:
        if self.latex:
            return self.latex
        # a template is formatted with the arguments, so literal braces are doubled
        if self.arity == 0:
            return rf"\mathrm{{{{{self.name}}}}}"
        args = ", ".join("{%d}" % i for i in range(self.arity))
        return rf"\operatorname{{{{{self.name}}}}}\left({args}\right)"


_UNIT_RULE = re.compile(r"dimensionless|match|product|quotient|power|power:-?\d+(/\d+)?")
_BINARY_RULES = ("match", "product", "quotient", "power")


def _check_operator(op: Operator) -> None:
    """Check every backend of ``op`` at once; raise ValueError naming the problem."""
    if not op.name or not op.name.replace("_", "a").isalnum() or op.name[0].isdigit():
        raise ValueError(
            f"operator name {op.name!r} must be an identifier (letters, digits, _), "
            "so that formulas using it can be parsed"
        )
    if op.arity not in (0, 1, 2):
        raise ValueError(f"operator {op.name!r}: arity must be 0, 1 or 2, got {op.arity}")
    if not _UNIT_RULE.fullmatch(op.units) or (op.arity != 2 and op.units in _BINARY_RULES) or (
            op.arity != 1 and op.units.startswith("power:")):
        raise ValueError(
            f"operator {op.name!r}: units={op.units!r} is not a rule for arity {op.arity}; use 'dimensionless', "
            "'match', 'product', 'quotient' or 'power' (binary), or 'power:K' such as 'power:1/2' (unary)"
        )
    if op.arity == 0:
        try:
            float(op.numpy)
        except (TypeError, ValueError):
            raise ValueError(f"constant {op.name!r}: numpy must be its float value") from None
    rng = np.random.default_rng(0)
    points = [rng.uniform(-3, 3, 64) for _ in range(op.arity)]
    if op.arity:
        if not callable(op.numpy):
            raise ValueError(f"operator {op.name!r}: numpy form must be callable")
        try:
            with np.errstate(all="ignore"):
                out = np.asarray(op.numpy(*points), dtype=np.float64)
        except Exception as exc:  # noqa: BLE001 - reported to the user with the fix
            raise ValueError(
                f"operator {op.name!r}: numpy form raised {exc!r} on random inputs; it must be "
                "total (return nan/inf off its domain, never raise)"
            ) from exc
        if out.shape != (64,):
            raise ValueError(
                f"operator {op.name!r}: numpy form must be elementwise, returned shape {out.shape} "
                "for inputs of shape (64,)"
            )
        if not np.isfinite(out).any():
            raise ValueError(f"operator {op.name!r}: numpy form is non-finite on all of [-3, 3]")
    else:
        out = np.full(64, op.value)
    # sympy backend
    import sympy

    try:
        form = op.sympy_form()
        symbols = sympy.symbols(f"a0:{op.arity}", real=True) if op.arity else ()
        sym = form(*symbols) if op.arity else form
        sym = sympy.sympify(sym, strict=True)  # strict: a form that returns text is refused, never evaluated
    except Exception as exc:  # noqa: BLE001
        raise ValueError(f"operator {op.name!r}: sympy form failed: {exc!r}") from exc
    if op.arity:
        f = sympy.lambdify(symbols, sym, modules="numpy")
        with np.errstate(all="ignore"):
            ref = np.asarray(f(*points), dtype=np.complex128)
    else:
        try:
            ref = np.full(64, complex(sym))
        except TypeError as exc:
            raise ValueError(f"constant {op.name!r}: sympy form must be a number, got {sym}") from exc
    _assert_agree(op, "sympy", out, ref)
    # torch backend
    import torch

    try:
        tform = op.torch_form()
        if op.arity:
            tout = tform(*[torch.from_numpy(p) for p in points])
            tvals = np.asarray(tout.detach().numpy(), dtype=np.float64)
        else:
            tvals = np.full(64, float(tform))
    except Exception as exc:  # noqa: BLE001
        raise ValueError(f"operator {op.name!r}: torch form failed: {exc!r}") from exc
    _assert_agree(op, "torch", out, tvals)
    try:
        op.latex_template().format(*["x"] * op.arity)
    except (IndexError, KeyError, ValueError) as exc:
        raise ValueError(
            f"operator {op.name!r}: latex template {op.latex!r} must use {{0}}..{{{op.arity - 1}}} "
            "and double any literal braces"
        ) from exc


def _assert_agree(op: Operator, backend: str, expected: NDArray[Any], got: NDArray[Any]) -> None:
    real = np.isfinite(expected)
    got_real = np.where(np.abs(np.imag(got)) < 1e-12, np.real(got), np.nan)
    both = real & np.isfinite(got_real)
    if not both.any() or not np.allclose(expected[both], got_real[both], rtol=1e-9, atol=1e-12):
        raise ValueError(
            f"operator {op.name!r}: the {backend} form does not agree with the numpy form on "
            "random inputs in [-3, 3]; both must compute the same function"
        )


class OperatorRegistry:
    """A catalogue of known operators, looked up by name or alias.

    Use :func:`srkit.core.builtins.default_registry` for a fresh registry with the
    built-in operators; registries are never shared module-level state.

    Examples
    --------
    >>> from srkit.core.builtins import default_registry
    >>> reg = default_registry()
    >>> reg.get("ln").name
    'log'
    """

    def __init__(self, operators: Iterable[Operator] = (), *, check: bool = True) -> None:
        self._ops: dict[str, Operator] = {}
        self._alias: dict[str, str] = {}
        for op in operators:
            self.register(op, check=check)

    def register(self, op: Operator, *, check: bool = True, replace: bool = False) -> Operator:
        """Add ``op``; with ``check`` every backend is verified now.

        Raises ValueError when a backend is missing or wrong, or the name is taken.
        """
        if check:
            _check_operator(op)
        for name in (op.name, *op.aliases):
            if not replace and (name in self._ops or name in self._alias):
                raise ValueError(
                    f"operator name {name!r} is already registered; pass replace=True to override"
                )
        self._ops[op.name] = op
        for alias in op.aliases:
            self._alias[alias] = op.name
        return op

    def get(self, name: str) -> Operator:
        key = self._alias.get(name, name)
        if key not in self._ops:
            raise ValueError(
                f"unknown operator {name!r}.{suggest(name, self.names(aliases=True))} "
                f"Known operators: {', '.join(self.names())}."
            )
        return self._ops[key]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name in self._ops or name in self._alias)

    def names(self, *, aliases: bool = False) -> list[str]:
        out = list(self._ops)
        return out + list(self._alias) if aliases else out

    def copy(self) -> OperatorRegistry:
        new = OperatorRegistry()
        new._ops = dict(self._ops)
        new._alias = dict(self._alias)
        return new

    def operator_set(
        self,
        names: Iterable[str] | Mapping[str, float],
        variables: Sequence[str],
    ) -> OperatorSet:
        """Select operators (optionally with sampling weights) for one run."""
        if isinstance(names, Mapping):
            items = list(names.items())
        else:
            items = [(n, 1.0) for n in names]
        ops = [self.get(n) for n, _ in items]
        return OperatorSet(ops, variables, weights=[w for _, w in items])


@dataclass(frozen=True, eq=False)
class OperatorSet:
    """The operators and variables one run may use, mapped to integer codes.

    Code 0 is a variable leaf, code 1 a fitted coefficient, and code ``2 + i`` is
    ``operators[i]``.

    Examples
    --------
    >>> from srkit.core.builtins import default_registry
    >>> ops = default_registry().operator_set(["add", "mul", "sin"], ["x0", "x1"])
    >>> ops.code("sin"), ops.arity_of(ops.code("sin"))
    (4, 1)
    """

    operators: tuple[Operator, ...]
    variables: tuple[str, ...]
    weights: tuple[float, ...] = ()
    arity: NDArray[np.int8] = field(init=False, repr=False)
    complexity: NDArray[np.float64] = field(init=False, repr=False)
    _by_name: dict[str, int] = field(init=False, repr=False)

    def __init__(
        self,
        operators: Sequence[Operator],
        variables: Sequence[str],
        weights: Sequence[float] | None = None,
        *,
        var_complexity: float = 1.0,
        coef_complexity: float = 1.0,
    ) -> None:
        ops = tuple(operators)
        names = [op.name for op in ops]
        if len(set(names)) != len(names):
            raise ValueError(f"operator set lists an operator twice: {names}")
        variables = tuple(str(v) for v in variables)
        if not variables:
            raise ValueError("an operator set needs at least one variable name")
        if len(set(variables)) != len(variables):
            raise ValueError(f"variable names must be unique, got {list(variables)}")
        w = tuple(float(x) for x in (weights if weights is not None and len(weights) else [1.0] * len(ops)))
        if len(w) != len(ops) or any(x < 0 or not math.isfinite(x) for x in w):
            raise ValueError("operator weights must be one finite non-negative number per operator")
        object.__setattr__(self, "operators", ops)
        object.__setattr__(self, "variables", variables)
        object.__setattr__(self, "weights", w)
        arity = np.array([0, 0] + [op.arity for op in ops], dtype=np.int8)
        comp = np.array([var_complexity, coef_complexity] + [op.complexity for op in ops])
        arity.setflags(write=False)
        comp.setflags(write=False)
        object.__setattr__(self, "arity", arity)
        object.__setattr__(self, "complexity", comp)
        by_name: dict[str, int] = {}
        for i, op in enumerate(ops):
            for n in (op.name, *op.aliases):
                by_name.setdefault(n, N_TERMINAL_CODES + i)
        clash = [v for v in variables if v in by_name and ops[by_name[v] - N_TERMINAL_CODES].arity == 0]
        if clash:
            raise ValueError(
                f"variable name(s) {clash} are also names of constants in the operator set, so "
                "formulas would be ambiguous; rename the variable(s) or leave those constants out"
            )
        object.__setattr__(self, "_by_name", by_name)

    # -- identity: two sets with the same content are interchangeable
    def _key(self) -> tuple[Any, ...]:
        return (tuple(op.name for op in self.operators), self.variables)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OperatorSet) and (self is other or self._key() == other._key())

    def __hash__(self) -> int:
        return hash(self._key())

    def __len__(self) -> int:
        return len(self.operators)

    @property
    def n_variables(self) -> int:
        return len(self.variables)

    def code(self, name: str) -> int:
        """Integer code of an operator (by name or alias) in this set."""
        try:
            return self._by_name[name]
        except KeyError:
            raise ValueError(
                f"operator {name!r} is not in this run's operator set.{suggest(name, self._by_name)} "
                f"Available: {', '.join(op.name for op in self.operators)}."
            ) from None

    def has(self, name: str) -> bool:
        return name in self._by_name

    def operator(self, code: int) -> Operator:
        return self.operators[code - N_TERMINAL_CODES]

    def arity_of(self, code: int) -> int:
        return int(self.arity[code])

    def codes_with_arity(self, arity: int) -> list[int]:
        return [N_TERMINAL_CODES + i for i, op in enumerate(self.operators) if op.arity == arity]

    def with_variables(self, variables: Sequence[str]) -> OperatorSet:
        return OperatorSet(self.operators, variables, self.weights)
