"""Cluster PCFs by their convergence-dynamics metrics and label clusters from known anchors.

As in the blind-delta paper: clustering runs in 2-D metric planes, in the order
(fr_delta, d) -> (fr_delta, c) -> (fr_delta, conv_d) -> (fr_delta, conv_c), on
unscaled metrics.  In each plane the points still pending are thinned to one
per ``grid`` x ``grid`` cell, clustered with scikit-learn's HDBSCAN, and every
point takes the label of its nearest sampled point within ``radius`` (else it
is noise).  A cluster whose anchors (points with a known constant) all name the
same constant is labelled with it; a cluster whose anchors disagree goes on to
the next plane; a plane with more than ``max_clusters`` clusters is skipped.

scikit-learn is an optional dependency (``pip install srkit[contfrac]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from srkit.core.rng import RandomState, as_generator

__all__ = ["PLANES", "ClusterResult", "cluster_metrics", "label_by_pslq", "metrics_table", "sample_pcfs"]

PLANES: tuple[tuple[str, str], ...] = (("fr_delta", "d"), ("fr_delta", "c"), ("fr_delta", "conv_d"), ("fr_delta", "conv_c"))


@dataclass
class ClusterResult:
    """Per point: ``cluster`` id (-1 noise / unclustered), ``label`` (constant name or None) and ``plane`` used."""

    points: list[dict[str, Any]]
    cluster: np.ndarray
    label: list[str | None]
    plane: list[str | None]
    clusters: dict[int, dict[str, Any]] = field(default_factory=dict)

    def summary(self) -> str:
        n_lab = sum(1 for c in self.clusters.values() if c["label"])
        return (f"{len(self.points)} PCFs, {len(self.clusters)} clusters ({n_lab} labelled from anchors), "
                f"{int((self.cluster < 0).sum())} noise points")

    def plot(self, path: str, planes: Sequence[tuple[str, str]] = PLANES) -> None:
        """Scatter plots of the metric planes, coloured by identified constant (grey: unidentified).

        The format follows the suffix of ``path`` (PNG without one); the file is written atomically.
        """
        from srkit._optional import require

        require("matplotlib", "the cluster scatter plot", "contfrac").use("Agg", force=False)
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, len(planes), figsize=(4.2 * len(planes), 4), squeeze=False)
        names = [lab or (p.get("constant") or None) for lab, p in zip(self.label, self.points)]
        kinds = sorted({n for n in names if n})
        cmap = plt.get_cmap("tab20")
        for ax, (x, y) in zip(axes[0], planes):
            X = np.array([[_num(p.get(x)), _num(p.get(y))] for p in self.points])
            unk = np.array([n is None for n in names])
            ax.scatter(X[unk, 0], X[unk, 1], s=4, c="lightgrey", label="unidentified")
            for k, name in enumerate(kinds):
                sel = np.array([n == name for n in names])
                ax.scatter(X[sel, 0], X[sel, 1], s=8, color=cmap(k % 20), label=name)
            ax.set_xlabel(x)
            ax.set_ylabel(y)
        axes[0][-1].legend(fontsize=6, markerscale=2, loc="best")
        fig.tight_layout()
        # into a temporary file renamed over ``path``: a crash mid-save leaves any earlier plot intact
        from pathlib import Path

        from srkit.io import atomic_open

        fmt = Path(path).suffix.lstrip(".").lower() or "png"
        try:
            with atomic_open(path, "wb") as fh:
                fig.savefig(fh, dpi=110, format=fmt)
        finally:
            plt.close(fig)


def _num(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _plane_labels(X: np.ndarray, min_cluster_size: int, grid: float, radius: float) -> np.ndarray:
    from srkit._optional import require

    HDBSCAN = require("sklearn.cluster", "clustering continued fractions (HDBSCAN)", "contfrac").HDBSCAN
    from sklearn.neighbors import NearestNeighbors

    cells = np.floor(X / grid).astype(np.int64)
    _, first = np.unique(cells, axis=0, return_index=True)
    first = np.sort(first)
    sample = X[first]
    if len(sample) < max(min_cluster_size, 2):
        return np.full(len(X), -1)
    lab_s = HDBSCAN(min_cluster_size=min_cluster_size, copy=True).fit_predict(sample)
    dist, nn = NearestNeighbors(n_neighbors=1).fit(sample).kneighbors(X)
    lab = lab_s[nn[:, 0]]
    lab[dist[:, 0] > radius] = -1
    return lab


def cluster_metrics(points: Sequence[dict[str, Any]], planes: Sequence[tuple[str, str]] = PLANES, *,
                    min_cluster_size: int = 5, grid: float = 1e-3, radius: float = 0.01,
                    max_clusters: int = 500) -> ClusterResult:
    """Cluster points (dicts with the metric names; ``"constant"`` marks an anchor) plane by plane.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> xy = np.vstack([rng.normal(0, 0.002, (30, 2)), rng.normal(0.5, 0.002, (30, 2))])
    >>> pts = [{"fr_delta": x, "d": y, "constant": {0: "pi", 30: "e"}.get(i)} for i, (x, y) in enumerate(xy)]
    >>> res = cluster_metrics(pts, planes=[("fr_delta", "d")])
    >>> res.label.count("pi"), res.label.count("e")
    (30, 30)
    """
    pts = [dict(p) for p in points]
    n = len(pts)
    cluster = np.full(n, -1)
    label: list[str | None] = [None] * n
    plane_of: list[str | None] = [None] * n
    clusters: dict[int, dict[str, Any]] = {}
    pending = np.ones(n, dtype=bool)
    next_id = 0
    for x, y in planes:
        X = np.array([[_num(p.get(x)), _num(p.get(y))] for p in pts])
        idx = np.nonzero(pending & np.isfinite(X).all(axis=1))[0]
        if len(idx) < min_cluster_size:
            continue
        lab = _plane_labels(X[idx], min_cluster_size, grid, radius)
        ids = sorted(set(lab.tolist()) - {-1})
        if len(ids) > max_clusters:
            continue
        for cid in ids:
            members = idx[lab == cid]
            anchors = {pts[i].get("constant") for i in members if pts[i].get("constant")}
            if len(anchors) > 1:
                continue  # anchors disagree: try the next plane
            name = anchors.pop() if anchors else None
            clusters[next_id] = {"plane": f"{x}/{y}", "size": int(len(members)), "label": name}
            for i in members:
                cluster[i] = next_id
                label[i] = name
                plane_of[i] = f"{x}/{y}"
            pending[members] = False
            next_id += 1
    return ClusterResult(pts, cluster, label, plane_of, clusters)


def label_by_pslq(result: ClusterResult, constants: Sequence[str] | None = None, samples: int = 4,
                  depth: int = 1000) -> ClusterResult:
    """Name clusters that have no anchor by identifying up to ``samples`` members (points with ``a``, ``b``).

    A cluster takes a constant only if every sampled member is identified (a verified
    relation, see :func:`srkit.contfrac.identify`) with that same constant; the paper's
    step (e) with PSLQ.  Updates ``result`` in place and returns it.
    """
    from srkit.contfrac.identification import identify
    from srkit.contfrac.pcf import PCF

    for cid, info in result.clusters.items():
        if info["label"]:
            continue
        members = [i for i in np.nonzero(result.cluster == cid)[0] if "a" in result.points[i]][:samples]
        names = set()
        for i in members:
            p = result.points[i]
            try:
                rel = identify(PCF(p["a"], p["b"]).limit(depth), constants)
            except ValueError:  # q(depth) = 0 (UndefinedConvergentError): this member names nothing
                rel = None
            names.add(rel.constant if rel is not None else None)
        if len(names) == 1 and None not in names:
            name = names.pop()
            info["label"], info["labelled_by"] = name, "pslq"
            for i in np.nonzero(result.cluster == cid)[0]:
                result.label[i] = name
    return result


def _metrics_chunk(state: int, items: Sequence[tuple[list[int], list[int]]]) -> list[dict[str, Any]]:
    from srkit.contfrac.pcf import PCF

    out = []
    for a, b in items:
        m = PCF(a, b).metrics(depth=state).to_dict()
        out.append({"a": a, "b": b, **m})
    return out


def metrics_table(pcfs: Sequence[tuple[Sequence[int], Sequence[int]]], depth: int = 1000, n_jobs: int = 1) -> list[dict[str, Any]]:
    """Blind-delta metrics of many PCFs (coefficient lists), in parallel; one dict per PCF."""
    from srkit.fitness.parallel import parallel_map

    items = [(list(map(int, a)), list(map(int, b))) for a, b in pcfs]
    return parallel_map(_metrics_chunk, items, state=int(depth), n_jobs=n_jobs, min_chunk=16)


def sample_pcfs(box: Any, n: int, random_state: RandomState = None, depth: int = 1000) -> list[tuple[list[int], list[int]]]:
    """``n`` distinct PCFs of ``box`` drawn at random among those the float64 screen finds convergent."""
    from srkit.contfrac.screen import screen

    rng = as_generator(random_state)
    picks: list[int] = []
    seen: set[int] = set()
    for _ in range(20):
        cand = rng.integers(0, len(box), size=4 * n)
        cand = np.array([c for c in dict.fromkeys(cand.tolist()) if c not in seen], dtype=np.int64)
        if not len(cand):
            continue
        A, B = box.coefficients(cand)
        r = screen(A, B, depth)
        ok = cand[r.converged & ~r.terminates]
        for c in ok.tolist():
            if len(picks) < n:
                picks.append(c)
            seen.add(c)
        if len(picks) >= n:
            break
    A, B = box.coefficients(np.array(picks, dtype=np.int64))
    return [(a.tolist(), b.tolist()) for a, b in zip(A, B)]
