"""A batch of symbolic networks in one set of tensors, and its two-stage training.

A symbolic network has ``depth`` hidden layers of ``width`` units.  Each unit applies
one operator to linear combinations of the previous layer's outputs (one for a unary
operator, two for a binary one); the output is a linear combination of the last
layer.  The unit functions are the torch forms of the run's operators (no second
operator table), plus the identity.

Training one small network is pure framework overhead (hundreds of tiny tensor
operations per step), so all networks of a controller batch are trained together:
their weights are stacked along a leading batch axis and padded to the largest depth
and width of the batch, with masks for the padding.  Units are grouped by operator,
so one step costs a few operations per operator type, whatever the batch size.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from srkit.core.operators import OperatorSet

__all__ = ["Unit", "Architecture", "NetworkBatch", "unit_library", "train_batch", "TrainReport"]

#: Values beyond this count as overflow when guarding an operator.
_BIG = 1e8


@dataclass(frozen=True)
class Unit:
    """One unit function: an operator of the set (``name``) or the identity (``None``).

    ``const_args`` are fixed trailing arguments of the operator: the square unit of an
    operator set without ``square`` is ``pow`` with ``const_args=(2.0,)``, a unary unit
    that the formula writes as ``z**2``.
    """

    name: str | None
    arity: int
    fn: Callable[..., Any] | None
    guarded: bool  # the operator can leave its domain or overflow on finite inputs
    #: how a scale factor on an argument leaves the unit (see :func:`scaling_law`)
    scaling: tuple[str, ...] = ()
    const_args: tuple[float, ...] = ()

    @property
    def label(self) -> str:
        """A readable name: ``id``, the operator's name, or ``square`` for ``pow(z, 2)``."""
        if self.name is None:
            return "id"
        if self.name == "pow" and self.const_args == (2.0,):
            return "square"
        return self.name


@dataclass(frozen=True)
class Architecture:
    """What the controller samples: the unit indices of each hidden layer."""

    layers: tuple[tuple[int, ...], ...]

    @property
    def depth(self) -> int:
        return len(self.layers)

    @property
    def width(self) -> int:
        return len(self.layers[0])


_LINEAR = ("add", "sub", "neg")


def _with_constants(op: Any, consts: tuple[float, ...]) -> Unit:
    """``op`` with its last arguments fixed to ``consts``, as a unit of lower arity
    (``pow`` with ``(2.0,)``: the square unit).  Its functions are the operator's own."""
    torch_fn, numpy_fn = op.torch_form(), op.numpy
    arity = op.arity - len(consts)

    def fn(*args: Any) -> Any:
        return torch_fn(*args, *consts)

    def np_fn(*args: Any) -> Any:
        return numpy_fn(*args, *consts)

    return Unit(op.name, arity, fn, _can_fail(np_fn, arity), scaling_law(np_fn, arity), const_args=consts)


def unit_library(opset: OperatorSet, names: Sequence[str] | None, identity: bool) -> list[Unit]:
    """The units a network may use: identity first, then operators of ``opset``.

    By default (``names`` None) every unary and binary operator except the linear ones,
    plus a square unit: ``square`` if the set has it, else ``pow(z, 2)`` when it has
    ``pow``.  A binary ``pow`` of two trained inputs rarely settles on exponent 2, while
    squares of sums and differences are everywhere in physics laws (distances, kinetic
    energy); the published method's default units include Square.  In ``names``,
    ``"square"`` also means ``pow(z, 2)`` when the set has ``pow`` but not ``square``.

    Raises ValueError when a named operator is not in the set or has no torch form.

    >>> from srkit.core.builtins import default_registry
    >>> ops = default_registry().operator_set(["add", "mul", "sin", "pow"], ["x"])
    >>> [u.label for u in unit_library(ops, None, True)]
    ['id', 'mul', 'sin', 'pow', 'square']
    """
    if names is None:
        chosen = [op for op in opset.operators if op.arity in (1, 2) and op.name not in _LINEAR]
        pow_square = opset.has("pow") and not opset.has("square")
    else:
        pow_square = "square" in names and not opset.has("square") and opset.has("pow")
        chosen = [opset.operator(opset.code(n)) for n in names if not (pow_square and n == "square")]
        bad = [op.name for op in chosen if op.arity not in (1, 2)]
        if bad:
            raise ValueError(f"unit operators must be unary or binary, got constants {bad}")
    units = [Unit(None, 1, None, False, ("hom1",))] if identity else []
    for op in chosen:
        try:
            fn = op.torch_form()
        except (ImportError, AttributeError) as exc:
            raise ValueError(
                f"operator {op.name!r} has no usable torch form ({exc}); the dsn searcher trains "
                "networks in torch, so give it one or leave it out of unit_operators"
            ) from exc
        units.append(Unit(op.name, op.arity, fn, _can_fail(op.numpy, op.arity), scaling_law(op.numpy, op.arity)))
    if pow_square:
        units.append(_with_constants(opset.operator(opset.code("pow")), (2.0,)))
    if not units:
        raise ValueError("the dsn searcher needs at least one unit: enable identity_unit or add operators")
    return units


def _can_fail(numpy_fn: Any, arity: int) -> bool:
    """Whether the operator yields nan/inf or huge values for moderate finite inputs."""
    grid = np.concatenate([np.linspace(-50, 50, 101), [0.0, 1e-9, -1e-9]])
    args = np.meshgrid(*([grid] * arity)) if arity > 1 else [grid]
    with np.errstate(all="ignore"):
        out = np.asarray(numpy_fn(*[a.ravel() for a in args]), dtype=np.float64)
    return not bool(np.all(np.isfinite(out) & (np.abs(out) < _BIG)))


def scaling_law(numpy_fn: Any, arity: int) -> tuple[str, ...]:
    """How each argument's scale can be moved out of the operator, found numerically.

    Per argument: ``"homK"`` when ``f(c*z) = c**K * f(z)`` for every real ``c``
    (square: hom2), ``"phomK"`` when only for ``c > 0`` (sqrt: phom0.5), ``"log"`` when
    ``f(c*z) = f(z) + log(c)`` for ``c > 0``, ``"exp"`` when ``f(z + b) = exp(b) * f(z)``,
    else ``""``.  Extraction uses this to write ``9*x**2`` instead of ``1.0*(3.0*x)**2``.

    >>> import numpy as np
    >>> scaling_law(np.square, 1), scaling_law(np.multiply, 2), scaling_law(np.log, 1)
    (('hom2',), ('hom1', 'hom1'), ('log',))
    """
    rng = np.random.default_rng(12345)
    pos = rng.uniform(0.5, 2.0, 32)
    mixed = rng.uniform(-2.0, 2.0, 32)
    laws = []
    for m in range(arity):
        def f(z: np.ndarray, m: int = m) -> np.ndarray:
            args = [pos] * arity
            args = args[:m] + [z] + args[m + 1:]
            with np.errstate(all="ignore"):
                return np.asarray(numpy_fn(*args), dtype=np.float64)

        def close(a: np.ndarray, b: np.ndarray) -> bool:
            return bool(np.all(np.isfinite(a)) and np.all(np.isfinite(b)) and np.allclose(a, b, rtol=1e-9, atol=1e-12))

        law = ""
        base = f(pos)
        for k in (1, 2, 3, -1, -2, -3, 0.5, -0.5):
            if all(close(f(c * pos), c**k * base) for c in (0.5, 2.0, 3.0)):
                full = float(k).is_integer() and close(f(-2.0 * mixed), (-2.0) ** k * f(mixed))
                law = f"hom{k:g}" if full else f"phom{k:g}"
                break
        if not law and all(close(f(c * pos), base + np.log(c)) for c in (0.5, 2.0, 3.0)):
            law = "log"
        if not law and all(close(f(pos + b), np.exp(b) * base) for b in (-0.5, 1.0)):
            law = "exp"
        laws.append(law)
    return tuple(laws)


def smoothed_l05(w: Any, a: float) -> Any:
    """Smoothed L0.5 penalty per weight: ``sqrt|w|`` above ``a``, a quartic below it."""
    import torch

    aw = w.abs()
    small = -(w**4) / (8 * a**3) + 3 * w**2 / (4 * a) + 3 * a / 8
    return torch.sqrt(torch.where(aw < a, small, aw))


class NetworkBatch:
    """``B`` symbolic networks with stacked, padded weights.

    Layer ``l`` maps ``(B, n, in_l)`` to ``(B, n, K)``: ``G = h @ W_l + b_l`` with
    ``W_l`` of shape ``(B, in_l, 2K)``; unit ``k`` reads columns ``2k`` (and ``2k+1`` if
    binary).  All weights live in one ``(B, P)`` parameter ``theta`` with a mask of the
    same shape that zeroes the padding (units beyond a network's width, layers beyond
    its depth, the unused second column of unary units) and, after pruning, small
    weights: the penalty, clipping and optimizer then cost a few operations per step.
    """

    def __init__(
        self,
        archs: Sequence[Architecture],
        units: Sequence[Unit],
        n_inputs: int,
        *,
        add_bias: bool,
        init_std: float,
        rng: np.random.Generator,
        device: Any,
        dtype: Any,
    ) -> None:
        import torch

        self.archs = list(archs)
        self.units = list(units)
        self.n_inputs = n_inputs
        self.add_bias = add_bias
        self.device, self.dtype = device, dtype
        self.init_std = init_std
        B = len(self.archs)
        self.B = B
        self.L = max(a.depth for a in self.archs)
        self.K = max(a.width for a in self.archs)
        K = self.K
        self.depth_index = torch.tensor([a.depth - 1 for a in self.archs], device=device)
        self.shapes: list[tuple[int, int]] = []
        masks: list[np.ndarray] = []
        self.plans: list[list[tuple[Unit, Any]]] = []
        self.inverse: list[Any] = []
        self.n_idle: list[int] = []
        for layer in range(self.L):
            n_in = n_inputs if layer == 0 else K
            mask = np.zeros((B, n_in, 2 * K))
            for j, arch in enumerate(self.archs):
                if layer >= arch.depth:
                    continue
                rows = n_inputs if layer == 0 else arch.width
                for k, u in enumerate(arch.layers[layer]):
                    mask[j, :rows, 2 * k : 2 * k + self.units[u].arity] = 1.0
            bias_mask = (mask.sum(axis=1, keepdims=True) > 0).astype(float) * float(add_bias)
            self.shapes += [(n_in, 2 * K), (1, 2 * K)]
            masks += [mask, bias_mask]
            self._plan_layer(layer)
        out_mask = np.zeros((B, K, 1))
        for j, arch in enumerate(self.archs):
            out_mask[j, : arch.width] = 1.0
        self.shapes += [(K, 1), (1, 1)]
        masks += [out_mask, np.full((B, 1, 1), float(add_bias))]
        sizes = [a * b for a, b in self.shapes]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        self.mask = torch.tensor(np.concatenate([m.reshape(B, -1) for m in masks], axis=1), device=device, dtype=dtype)
        self.theta = torch.zeros(self.mask.shape, device=device, dtype=dtype, requires_grad=True)
        for j in range(B):
            self.reinit(j, rng)

    # ------------------------------------------------------------------ structure
    def _plan_layer(self, layer: int) -> None:
        """Group the (network, unit) slots of a layer by unit function."""
        import torch

        groups: dict[int, list[int]] = {}
        idle: list[int] = []
        for j, arch in enumerate(self.archs):
            for k in range(self.K):
                flat = j * self.K + k
                if layer < arch.depth and k < arch.width:
                    groups.setdefault(arch.layers[layer][k], []).append(flat)
                else:
                    idle.append(flat)
        order: list[int] = []
        plan = []
        for u in sorted(groups):
            rows = groups[u]
            order.extend(rows)
            plan.append((self.units[u], torch.tensor(rows, device=self.device)))
        order.extend(idle)
        inverse = np.empty(len(order), dtype=np.int64)
        inverse[np.array(order)] = np.arange(len(order))
        self.plans.append(plan)
        self.inverse.append(torch.tensor(inverse, device=self.device))
        self.n_idle.append(len(idle))

    def _views(self, flat: Any) -> list[Any]:
        """The per-layer tensors of a ``(B, P)`` tensor: W_1, b_1, ..., w_out, b_out."""
        o = self.offsets
        return [flat[:, o[i] : o[i + 1]].reshape(flat.shape[0], *shape) for i, shape in enumerate(self.shapes)]

    def effective(self) -> Any:
        """The weights in use (masked), shape ``(B, P)``."""
        return self.theta * self.mask

    def reinit(self, j: int, rng: np.random.Generator) -> None:
        """Fresh random weights for network ``j`` (drawn from ``rng``; torch's RNG is never used)."""
        import torch

        parts = []
        for i, (a, b) in enumerate(self.shapes):
            if i == len(self.shapes) - 2:  # output weights
                parts.append(rng.uniform(0.0, 1.0, a * b))
            elif i % 2 == 0:  # hidden layers
                parts.append(np.fmod(rng.normal(0.0, self.init_std, a * b), 2.0))
            else:  # biases start at 0
                parts.append(np.zeros(a * b))
        with torch.no_grad():
            self.theta[j] = torch.tensor(np.concatenate(parts), device=self.device, dtype=self.dtype)

    # ------------------------------------------------------------------ forward
    def forward(self, X: Any, eff: Any = None) -> Any:
        """Predictions of every network, shape ``(B, n)``; ``X`` has shape ``(n, d)``."""
        import torch

        B, K = self.B, self.K
        n = X.shape[0]
        views = self._views(self.effective() if eff is None else eff)
        inputs = X.unsqueeze(0).expand(B, n, X.shape[1])
        h = inputs
        outs = []
        for layer in range(self.L):
            G = torch.baddbmm(views[2 * layer + 1], h, views[2 * layer])
            # (B, n, K, 2) -> (B*K, 2, n): one row per unit slot
            G = G.view(B, n, K, 2).permute(0, 2, 3, 1).reshape(B * K, 2, n)
            pieces = [_apply(unit, G.index_select(0, rows)) for unit, rows in self.plans[layer]]
            if self.n_idle[layer]:
                pieces.append(G.new_zeros((self.n_idle[layer], n)))
            H = torch.cat(pieces).index_select(0, self.inverse[layer])
            h = H.view(B, K, n).transpose(1, 2)
            outs.append(h)
        last = outs[0] if self.L == 1 else torch.stack(outs)[self.depth_index, torch.arange(B, device=X.device)]
        y = torch.bmm(last, views[-2]) + views[-1]
        return y.squeeze(-1)

    def penalty(self, eff: Any, a: float) -> Any:
        """Smoothed L0.5 of each network's live weights, shape ``(B,)``."""
        return (smoothed_l05(eff, a) * self.mask).sum(1)

    def prune(self, threshold: float, output_threshold: float) -> None:
        """Fix weights below the thresholds at zero (masks them out)."""
        import torch

        limit = np.full(self.offsets[-1], threshold)
        limit[self.offsets[-3]:] = output_threshold
        with torch.no_grad():
            keep = self.theta.abs() >= torch.tensor(limit, device=self.device, dtype=self.dtype)
            self.mask.mul_(keep.to(self.dtype))

    def weights_of(self, j: int) -> dict[str, Any]:
        """Network ``j``'s effective (masked) weights as numpy arrays, without padding:
        the rows of ``W[l]`` (l > 0) and of ``w_out`` are the previous layer's units."""
        import torch

        with torch.no_grad():
            views = [v[0].cpu().numpy() for v in self._views(self.effective()[j : j + 1])]
        width = self.archs[j].width
        Ws = views[0:-2:2]
        return {
            "W": [Ws[0]] + [W[:width] for W in Ws[1:]],
            "b": [b[0] for b in views[1:-2:2]],
            "w_out": views[-2][:width, 0],
            "b_out": float(views[-1].ravel()[0]),
        }


def _apply(unit: Unit, sel: Any) -> Any:
    """The unit's function on its input rows (``sel`` of shape (m, 2, n))."""
    import torch

    args = [sel[:, 0]] if unit.arity == 1 else [sel[:, 0], sel[:, 1]]
    if unit.fn is None:
        return args[0]
    if not unit.guarded:
        return unit.fn(*args)
    out = unit.fn(*args)
    with torch.no_grad():
        bad = ~torch.isfinite(out) | (out.abs() > _BIG)
        if not bool(bad.any()):
            return out
    # Off-domain (log of a negative) or overflowing (exp of 800) points contribute 0 and
    # no gradient.  Recomputing at a safe point keeps nan out of the backward pass, since
    # torch.where still multiplies the unused branch's gradient (0 * nan = nan).
    safe = [torch.where(bad, torch.ones_like(a), a) for a in args]
    out = unit.fn(*safe)
    return torch.where(bad | ~torch.isfinite(out), torch.zeros_like(out), out)


@dataclass
class TrainReport:
    """Outcome of training one batch."""

    nmse: np.ndarray  # normalised training MSE per network (inf: diverged or abandoned)
    alive: np.ndarray  # networks worth extracting
    steps: int = 0
    timed_out: bool = False
    seconds: float = 0.0
    restarts: int = 0
    history: list[float] = field(default_factory=list)


def train_batch(
    net: NetworkBatch,
    X: Any,
    y: Any,
    cfg: Any,
    rng: np.random.Generator,
    deadline: float = math.inf,
) -> TrainReport:
    """Two-stage training of all networks of ``net`` on ``(X, y)`` (torch tensors, y scaled
    to unit variance).

    Stage 1: MSE for ``reg_start`` of the steps, then MSE + ``reg_weight`` x smoothed L0.5;
    the learning rate drops tenfold after ``lr_decay_at``.  Then weights below the prune
    thresholds are fixed at zero.  Stage 2: MSE only on the remaining weights, at a tenth
    of the rate.  Diverged networks are restarted (at most ``max_restarts`` times), hopeless
    ones abandoned, and a stage ends early on a plateau.  Past ``deadline``
    (``time.perf_counter()`` seconds) training stops after the current step.
    """
    import torch

    t0 = time.perf_counter()
    B = net.B
    theta, mask = net.theta, net.mask
    alive = torch.ones(B, dtype=torch.bool, device=X.device)
    restarts = np.zeros(B, dtype=int)
    report = TrainReport(nmse=np.full(B, np.inf), alive=np.ones(B, dtype=bool))
    norms_hist = torch.zeros((cfg.clip_window, B), dtype=y.dtype, device=y.device)
    step_total = 0

    def run_stage(steps: int, lr: float, stage: int) -> bool:
        """Returns False when training must stop (time budget)."""
        nonlocal step_total
        # RMSprop (alpha 0.9, eps 1e-10) written out: torch.optim's first use imports
        # torch._dynamo (seconds) and wraps every step in Python-level bookkeeping
        square_avg = torch.zeros_like(theta)
        rate = lr
        reg_from = int(cfg.reg_start * steps) if stage == 1 else steps + 1
        decay_at = int(cfg.lr_decay_at * steps) if stage == 1 else steps + 1
        last_obj = torch.full((B,), math.inf, dtype=y.dtype, device=y.device)
        for step in range(steps):
            if step == decay_at:
                rate = lr * 0.1
            reg_on = stage == 1 and step >= reg_from and cfg.reg_weight > 0
            eff = net.effective()
            pred = net.forward(X, eff)
            mse = ((pred - y) ** 2).mean(1)
            obj = mse + cfg.reg_weight * net.penalty(eff, cfg.reg_a) if reg_on else mse
            ok = alive & torch.isfinite(obj)
            if theta.grad is not None:
                theta.grad.zero_()
            torch.where(ok, obj, torch.zeros_like(obj)).sum().backward()
            with torch.no_grad():
                g = theta.grad
                assert g is not None  # backward() just filled it
                torch.nan_to_num_(g, nan=0.0, posinf=0.0, neginf=0.0)
                g.mul_(mask * ok.to(y.dtype).unsqueeze(1))
                if cfg.adaptive_clip:
                    norm = g.norm(dim=1)
                    if step_total < cfg.clip_window:
                        limit = torch.full_like(norm, cfg.max_norm)
                    else:
                        limit = cfg.clip_factor * norms_hist.mean(0)
                    norms_hist[step_total % cfg.clip_window] = norm
                    g.mul_(torch.clamp(limit / (norm + 1e-12), max=1.0).unsqueeze(1))
                square_avg.mul_(0.9).addcmul_(g, g, value=0.1)
                theta.addcdiv_(g, square_avg.sqrt().add_(1e-10), value=-rate)
            step_total += 1
            if time.perf_counter() > deadline:  # every step: a step takes milliseconds, the check 0.1 us
                return False
            if (step + 1) % cfg.check_every == 0 or step == steps - 1:
                with torch.no_grad():
                    cur = torch.where(alive, obj.detach(), torch.full_like(obj, math.inf))
                    report.nmse = mse.detach().cpu().numpy().copy()
                diverged = (~torch.isfinite(obj.detach()) | (mse.detach() > 1e3)) & alive
                for j in np.flatnonzero(diverged.cpu().numpy()):
                    if restarts[j] < cfg.max_restarts and stage == 1:
                        restarts[j] += 1
                        net.reinit(int(j), rng)
                        square_avg[j] = 0.0
                    else:
                        alive[j] = False
                if stage == 1 and step >= reg_from:
                    alive.logical_and_(~(mse.detach() > cfg.hopeless_nmse))
                if not bool(alive.any()):
                    return True
                live = alive & torch.isfinite(cur) & torch.isfinite(last_obj)
                if (stage == 2 or step >= reg_from + cfg.check_every) and bool(live.any()):
                    gain = (last_obj - cur) / last_obj.abs().clamp(min=1e-300)
                    if bool((gain[live] < cfg.plateau_tol).all()) and bool(live.sum() == alive.sum()):
                        return True
                last_obj = cur
        return True

    in_time = run_stage(cfg.steps_stage1, cfg.lr, 1)
    net.prune(cfg.prune_threshold, cfg.output_threshold)
    if in_time and cfg.steps_stage2 and bool(alive.any()):
        in_time = run_stage(cfg.steps_stage2, cfg.lr * 0.1, 2)
    with torch.no_grad():
        final = ((net.forward(X) - y) ** 2).mean(1).cpu().numpy()
    report.alive = alive.cpu().numpy() & np.isfinite(final)
    report.nmse = np.where(report.alive, final, np.inf)
    report.steps = step_total
    report.timed_out = not in_time
    report.seconds = time.perf_counter() - t0
    report.restarts = int(restarts.sum())
    return report
