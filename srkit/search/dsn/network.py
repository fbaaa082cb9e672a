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
    """One unit function: an operator of the set (``name``) or the identity (``None``)."""

    name: str | None
    arity: int
    fn: Callable[..., Any] | None
    guarded: bool  # the operator can leave its domain or overflow on finite inputs
    #: how a scale factor on an argument leaves the unit (see :func:`scaling_law`)
    scaling: tuple[str, ...] = ()


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


def unit_library(opset: OperatorSet, names: Sequence[str] | None, identity: bool) -> list[Unit]:
    """The units a network may use: identity first, then operators of ``opset``.

    Raises ValueError when a named operator is not in the set or has no torch form.
    """
    if names is None:
        chosen = [op for op in opset.operators if op.arity in (1, 2) and op.name not in _LINEAR]
    else:
        chosen = [opset.operator(opset.code(n)) for n in names]
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
    binary).  Masks zero the padding (units beyond a network's width, layers beyond its
    depth, the unused second column of unary units) and, after pruning, small weights.
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
        B = len(self.archs)
        self.B = B
        self.L = max(a.depth for a in self.archs)
        self.K = max(a.width for a in self.archs)
        self.depth_index = torch.tensor([a.depth - 1 for a in self.archs], device=device)
        self.W: list[Any] = []
        self.b: list[Any] = []
        self.M: list[Any] = []
        self.Mb: list[Any] = []
        self.plans: list[list[tuple[Unit, Any]]] = []
        self.inverse: list[Any] = []
        self.n_idle: list[int] = []
        for layer in range(self.L):
            n_in = n_inputs if layer == 0 else self.K
            mask = np.zeros((B, n_in, 2 * self.K))
            for j, arch in enumerate(self.archs):
                if layer >= arch.depth:
                    continue
                rows = n_inputs if layer == 0 else arch.width
                for k, u in enumerate(arch.layers[layer]):
                    mask[j, :rows, 2 * k : 2 * k + self.units[u].arity] = 1.0
            bias_mask = mask[:, :1, :].copy() if add_bias else np.zeros((B, 1, 2 * self.K))
            if add_bias:
                bias_mask[:] = (mask.sum(axis=1, keepdims=True) > 0).astype(float)
            self.M.append(torch.tensor(mask, device=device, dtype=dtype))
            self.Mb.append(torch.tensor(bias_mask, device=device, dtype=dtype))
            self.W.append(torch.zeros((B, n_in, 2 * self.K), device=device, dtype=dtype, requires_grad=True))
            self.b.append(torch.zeros((B, 1, 2 * self.K), device=device, dtype=dtype, requires_grad=True))
            self._plan_layer(layer)
        mo = np.zeros((B, self.K, 1))
        for j, arch in enumerate(self.archs):
            mo[j, : arch.width] = 1.0
        self.Mo = torch.tensor(mo, device=device, dtype=dtype)
        self.Mbo = torch.full((B, 1, 1), 1.0 if add_bias else 0.0, device=device, dtype=dtype)
        self.w_out = torch.zeros((B, self.K, 1), device=device, dtype=dtype, requires_grad=True)
        self.b_out = torch.zeros((B, 1, 1), device=device, dtype=dtype, requires_grad=True)
        self.init_std = init_std
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

    def parameters(self) -> list[Any]:
        return [*self.W, *self.b, self.w_out, self.b_out]

    def masks(self) -> list[Any]:
        return [*self.M, *self.Mb, self.Mo, self.Mbo]

    def reinit(self, j: int, rng: np.random.Generator) -> None:
        """Fresh random weights for network ``j`` (drawn from ``rng``; torch's RNG is never used)."""
        import torch

        with torch.no_grad():
            for W in self.W:
                w = np.fmod(rng.normal(0.0, self.init_std, W.shape[1:]), 2.0)
                W[j] = torch.tensor(w, device=self.device, dtype=self.dtype)
            for b in self.b:
                b[j] = 0.0
            self.w_out[j] = torch.tensor(rng.uniform(0.0, 1.0, self.w_out.shape[1:]),
                                         device=self.device, dtype=self.dtype)
            self.b_out[j] = 0.0

    # ------------------------------------------------------------------ forward
    def forward(self, X: Any) -> Any:
        """Predictions of every network, shape ``(B, n)``; ``X`` has shape ``(n, d)``."""
        import torch

        B, K = self.B, self.K
        n = X.shape[0]
        h = X.unsqueeze(0).expand(B, n, X.shape[1])
        outs = []
        for layer in range(self.L):
            G = torch.baddbmm(self.b[layer] * self.Mb[layer], h, self.W[layer] * self.M[layer])
            # (B, n, K, 2) -> (B*K, 2, n): one row per unit slot
            G = G.view(B, n, K, 2).permute(0, 2, 3, 1).reshape(B * K, 2, n)
            pieces = []
            for unit, rows in self.plans[layer]:
                sel = G.index_select(0, rows)
                pieces.append(_apply(unit, sel))
            if self.n_idle[layer]:
                pieces.append(G.new_zeros((self.n_idle[layer], n)))
            H = torch.cat(pieces).index_select(0, self.inverse[layer])
            h = H.view(B, K, n).transpose(1, 2)
            outs.append(h)
        last = torch.stack(outs)[self.depth_index, torch.arange(B, device=X.device)]
        y = torch.bmm(last, self.w_out * self.Mo) + self.b_out * self.Mbo
        return y.squeeze(-1)

    def penalty(self, a: float) -> Any:
        """Smoothed L0.5 of each network's live weights, shape ``(B,)``."""
        total = 0
        for p, m in zip(self.parameters(), self.masks()):
            total = total + (smoothed_l05(p * m, a) * m).flatten(1).sum(1)
        return total

    def prune(self, threshold: float, output_threshold: float) -> None:
        """Fix weights below the thresholds at zero (masks them out)."""
        import torch

        with torch.no_grad():
            for p, m in zip([*self.W, *self.b], [*self.M, *self.Mb]):
                m.mul_((p.abs() >= threshold).to(m.dtype))
            self.Mo.mul_((self.w_out.abs() >= output_threshold).to(self.Mo.dtype))
            self.Mbo.mul_((self.b_out.abs() >= output_threshold).to(self.Mbo.dtype))

    def weights_of(self, j: int) -> dict[str, Any]:
        """Network ``j``'s effective (masked) weights as numpy arrays."""
        import torch

        with torch.no_grad():
            return {
                "W": [(W[j] * M[j]).cpu().numpy() for W, M in zip(self.W, self.M)],
                "b": [(b[j] * M[j]).cpu().numpy()[0] for b, M in zip(self.b, self.Mb)],
                "w_out": (self.w_out[j] * self.Mo[j]).cpu().numpy()[:, 0],
                "b_out": float((self.b_out[j] * self.Mbo[j]).cpu().numpy().ravel()[0]),
            }


def _apply(unit: Unit, sel: Any) -> Any:
    """The unit's function on its input rows (``sel`` of shape (m, 2, n))."""
    import torch

    args = [sel[:, 0]] if unit.arity == 1 else [sel[:, 0], sel[:, 1]]
    if unit.fn is None:
        return args[0]
    if not unit.guarded:
        return unit.fn(*args)
    # Off-domain (log of a negative) or overflowing (exp of 800) points contribute 0 and
    # no gradient.  Evaluating at a safe point keeps nan out of the backward pass, since
    # torch.where still multiplies the unused branch's gradient (0 * nan = nan).
    with torch.no_grad():
        probe = unit.fn(*args)
        bad = ~torch.isfinite(probe) | (probe.abs() > _BIG)
    if not bool(bad.any()):
        return unit.fn(*args)
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
    (``time.perf_counter()`` seconds) training stops at the next check.
    """
    import torch

    t0 = time.perf_counter()
    B = net.B
    params = net.parameters()
    masks = net.masks()
    alive = torch.ones(B, dtype=torch.bool, device=X.device)
    restarts = np.zeros(B, dtype=int)
    report = TrainReport(nmse=np.full(B, np.inf), alive=np.ones(B, dtype=bool))
    norms_hist = torch.zeros((cfg.clip_window, B), dtype=y.dtype, device=y.device)
    step_total = 0

    def run_stage(steps: int, lr: float, stage: int) -> bool:
        """Returns False when training must stop (time budget)."""
        nonlocal step_total
        opt = torch.optim.RMSprop(params, lr=lr, alpha=0.9, eps=1e-10)
        reg_from = int(cfg.reg_start * steps) if stage == 1 else steps + 1
        decay_at = int(cfg.lr_decay_at * steps) if stage == 1 else steps + 1
        last_obj = torch.full((B,), math.inf, dtype=y.dtype, device=y.device)
        for step in range(steps):
            if step == decay_at:
                for group in opt.param_groups:
                    group["lr"] = lr * 0.1
            reg_on = stage == 1 and step >= reg_from and cfg.reg_weight > 0
            pred = net.forward(X)
            mse = ((pred - y) ** 2).mean(1)
            obj = mse + cfg.reg_weight * net.penalty(cfg.reg_a) if reg_on else mse
            ok = alive & torch.isfinite(obj)
            opt.zero_grad(set_to_none=False)
            torch.where(ok, obj, torch.zeros_like(obj)).sum().backward()
            keep = ok.to(y.dtype)
            with torch.no_grad():
                for p, m in zip(params, masks):
                    g = p.grad
                    torch.nan_to_num_(g, nan=0.0, posinf=0.0, neginf=0.0)
                    g.mul_(m).mul_(keep.view(-1, *([1] * (g.dim() - 1))))
                if cfg.adaptive_clip:
                    sq = sum((p.grad**2).flatten(1).sum(1) for p in params)
                    norm = torch.sqrt(sq)
                    if step_total < cfg.clip_window:
                        limit = torch.full_like(norm, cfg.max_norm)
                    else:
                        limit = cfg.clip_factor * norms_hist.mean(0)
                    norms_hist[step_total % cfg.clip_window] = norm
                    scale = torch.clamp(limit / (norm + 1e-12), max=1.0)
                    for p in params:
                        p.grad.mul_(scale.view(-1, *([1] * (p.grad.dim() - 1))))
            opt.step()
            step_total += 1
            if (step + 1) % cfg.check_every == 0 or step == steps - 1:
                with torch.no_grad():
                    cur = torch.where(alive, obj.detach(), torch.full_like(obj, math.inf))
                    report.nmse = mse.detach().cpu().numpy().copy()
                diverged = (~torch.isfinite(obj.detach()) | (mse.detach() > 1e3)) & alive
                for j in np.flatnonzero(diverged.cpu().numpy()):
                    if restarts[j] < cfg.max_restarts and stage == 1:
                        restarts[j] += 1
                        net.reinit(int(j), rng)
                    else:
                        alive[j] = False
                if stage == 1 and step >= reg_from:
                    alive.logical_and_(~(mse.detach() > cfg.hopeless_nmse))
                if time.perf_counter() > deadline:
                    return False
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
