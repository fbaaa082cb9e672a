"""The controller: an LSTM cell that samples network architectures, trained by a
risk-seeking policy gradient with an entropy bonus.

One episode samples the depth, then the width (shared by all layers), then, for each
layer, a distribution over unit functions from which the layer's ``width`` units are
drawn independently (a layer is a multiset of units, so their order carries no
meaning).  Unlike the published code, which feeds each step's logits to the next, the
embedding of the *sampled* choice is fed forward, so later choices depend on earlier
ones (the width on the depth, a layer's operators on the previous layer's).

All draws use the numpy Generator handed in; the LSTM's initial weights are drawn from
it as well, so the same seed gives the same architectures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from srkit.search.dsn.network import Architecture

__all__ = ["Controller", "Episode"]


@dataclass
class Episode:
    """Sampled architectures with the graph of their log-probabilities and entropies."""

    archs: list[Architecture]
    log_prob: Any  # torch tensor (B,) or None for uniform sampling
    entropy: Any


class Controller:
    """LSTM-cell policy over (depth, width, operators of each layer)."""

    def __init__(
        self,
        depths: Sequence[int],
        widths: Sequence[int],
        n_units: int,
        *,
        hidden_size: int,
        embedding_size: int,
        lr: float,
        rng: np.random.Generator,
        uniform: bool = False,
    ) -> None:
        import torch

        self.depths = list(depths)
        self.widths = list(widths)
        self.n_units = n_units
        self.uniform = uniform
        E, H = embedding_size, hidden_size
        self.cell = torch.nn.LSTMCell(E, H, dtype=torch.float64)
        self.start = torch.nn.Parameter(torch.zeros(1, E, dtype=torch.float64))
        self.depth_head = torch.nn.Linear(H, len(self.depths), dtype=torch.float64)
        self.width_head = torch.nn.Linear(H, len(self.widths), dtype=torch.float64)
        self.op_head = torch.nn.Linear(H, n_units, dtype=torch.float64)
        self.depth_emb = torch.nn.Embedding(len(self.depths), E, dtype=torch.float64)
        self.width_emb = torch.nn.Embedding(len(self.widths), E, dtype=torch.float64)
        self.op_emb = torch.nn.Embedding(n_units, E, dtype=torch.float64)
        modules = [self.cell, self.depth_head, self.width_head, self.op_head,
                   self.depth_emb, self.width_emb, self.op_emb]
        self.params = [self.start] + [p for m in modules for p in m.parameters()]
        with torch.no_grad():  # seeded from rng, never from torch's global generator
            for p in self.params[1:]:
                bound = 1.0 / np.sqrt(H)
                p.copy_(torch.from_numpy(rng.uniform(-bound, bound, tuple(p.shape))))
        self.lr = lr
        self._adam = [(torch.zeros_like(p), torch.zeros_like(p)) for p in self.params]
        self._adam_steps = 0

    def sample(self, batch: int, rng: np.random.Generator) -> Episode:
        """``batch`` architectures with their log-probabilities (graph kept for the update)."""
        if self.uniform:
            return self._sample_uniform(batch, rng)
        import torch

        h = torch.zeros(batch, self.cell.hidden_size, dtype=torch.float64)
        c = torch.zeros_like(h)
        inp = self.start.expand(batch, -1)
        log_prob = torch.zeros(batch, dtype=torch.float64)
        entropy = torch.zeros(batch, dtype=torch.float64)

        def step(inp: Any, head: Any) -> tuple[Any, Any]:
            nonlocal h, c
            h, c = self.cell(inp, (h, c))
            logp = torch.log_softmax(head(h), dim=-1)
            return logp, -(logp.exp() * logp).sum(-1)

        logp, ent = step(inp, self.depth_head)
        d_idx = _draw(logp, rng)
        log_prob = log_prob + logp[torch.arange(batch), torch.from_numpy(d_idx)]
        entropy = entropy + ent
        logp, ent = step(self.depth_emb(torch.from_numpy(d_idx)), self.width_head)
        w_idx = _draw(logp, rng)
        log_prob = log_prob + logp[torch.arange(batch), torch.from_numpy(w_idx)]
        entropy = entropy + ent
        depths = np.array(self.depths)[d_idx]
        widths = np.array(self.widths)[w_idx]
        inp = self.width_emb(torch.from_numpy(w_idx))
        layers: list[list[tuple[int, ...]]] = [[] for _ in range(batch)]
        for t in range(max(depths)):
            logp, ent = step(inp, self.op_head)
            active = torch.from_numpy(depths > t).to(torch.float64)
            width_max = int(widths.max())
            draws = np.stack([_draw(logp, rng) for _ in range(width_max)], axis=1)  # (B, Wmax)
            used = np.arange(width_max)[None, :] < widths[:, None]
            picked = logp.gather(1, torch.from_numpy(draws)) * torch.from_numpy(used.astype(float))
            log_prob = log_prob + active * picked.sum(1)
            entropy = entropy + active * ent
            for j in range(batch):
                if depths[j] > t:
                    layers[j].append(tuple(int(u) for u in draws[j, : widths[j]]))
            weights = torch.from_numpy(used / used.sum(1, keepdims=True))
            inp = (self.op_emb(torch.from_numpy(draws)) * weights.unsqueeze(-1)).sum(1)
        archs = [Architecture(tuple(layers[j])) for j in range(batch)]
        return Episode(archs, log_prob, entropy)

    def _sample_uniform(self, batch: int, rng: np.random.Generator) -> Episode:
        archs = []
        for _ in range(batch):
            depth = int(rng.choice(self.depths))
            width = int(rng.choice(self.widths))
            archs.append(Architecture(tuple(
                tuple(int(u) for u in rng.integers(0, self.n_units, width)) for _ in range(depth)
            )))
        return Episode(archs, None, None)

    def update(self, episode: Episode, rewards: np.ndarray, risk_fraction: float, entropy_weight: float) -> float:
        """One risk-seeking policy-gradient step; returns the reward quantile used (nan: no step).

        Only rewards strictly above the ``1 - risk_fraction`` quantile contribute, with
        weight ``reward - quantile`` (Petersen et al.'s risk-seeking estimator).  When
        every reward ties there is nothing to learn and no step is taken; the search
        itself goes on.
        """
        if self.uniform or episode.log_prob is None:
            return float("nan")
        import torch

        rewards = np.nan_to_num(np.asarray(rewards, dtype=np.float64), nan=0.0, neginf=0.0, posinf=0.0)
        threshold = float(np.quantile(rewards, 1.0 - risk_fraction))
        keep = rewards > threshold
        if not keep.any():
            return float("nan")
        advantage = torch.from_numpy(np.where(keep, rewards - threshold, 0.0))
        n_keep = float(keep.sum())
        loss = -(advantage * episode.log_prob).sum() / n_keep - entropy_weight * episode.entropy.mean()
        for p in self.params:
            p.grad = None
        loss.backward()
        self._adam_step()
        return threshold


    def _adam_step(self, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        """Adam, written out (torch.optim's first use imports torch._dynamo: seconds)."""
        import torch

        self._adam_steps += 1
        t = self._adam_steps
        with torch.no_grad():
            for p, (m, v) in zip(self.params, self._adam):
                if p.grad is None:
                    continue
                m.mul_(beta1).add_(p.grad, alpha=1 - beta1)
                v.mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)
                step = self.lr * math.sqrt(1 - beta2**t) / (1 - beta1**t)
                p.addcdiv_(m, v.sqrt().add_(eps), value=-step)


def _draw(logp: Any, rng: np.random.Generator) -> np.ndarray:
    """One category per row of ``logp`` (B, n), drawn with ``rng``."""
    probs = logp.detach().exp().numpy()
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None] * cum[:, -1:]
    return np.minimum((u > cum).sum(1), probs.shape[1] - 1).astype(np.int64)
