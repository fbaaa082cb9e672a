"""Clustering by convergence metrics: known families separate and take their anchors' labels."""

import numpy as np
import pytest

from srkit.contfrac.cluster import cluster_metrics, metrics_table

pytest.importorskip("sklearn")


def test_families_cluster_by_metrics_and_take_anchor_labels():
    # shifts of the same PCF share the convergence dynamics, different constants do not
    fams = {"pi": ("2*n+1", "n**2"), "e": ("n", "n"), "ln2": ("3*n+2", "-2*n**2")}
    from srkit.contfrac import PCF

    pcfs, truth = [], []
    for name, (a, b) in fams.items():
        base = PCF(a, b)
        for k in range(0, 9):
            p = base.shift(k)
            pcfs.append((list(p.a), list(p.b)))
            truth.append(name)
    rows = metrics_table(pcfs)
    points = [{**r, "constant": t if i % 9 == 0 else None} for i, (r, t) in enumerate(zip(rows, truth))]
    res = cluster_metrics(points, min_cluster_size=3, grid=1e-4, radius=0.05)
    labelled = [(lab, t) for lab, t in zip(res.label, truth) if lab]
    assert len(labelled) >= 18
    assert all(lab == t for lab, t in labelled)


def test_unanchored_cluster_is_named_by_pslq():
    from srkit.contfrac import PCF
    from srkit.contfrac.cluster import label_by_pslq

    fams = {"pi": ("2*n+1", "n**2"), "e": ("n", "n")}
    pcfs, truth = [], []
    for name, (a, b) in fams.items():
        for k in range(8):
            p = PCF(a, b).shift(k)
            pcfs.append((list(p.a), list(p.b)))
            truth.append(name)
    rows = metrics_table(pcfs)
    points = [{**r, "constant": "pi" if i == 0 else None} for i, r in enumerate(rows)]  # no anchor for e
    res = cluster_metrics(points, min_cluster_size=3, grid=1e-4, radius=0.05)
    assert "e" not in res.label
    label_by_pslq(res, constants=["pi", "e", "ln2"], samples=2, depth=300)
    assert [lab for lab, t in zip(res.label, truth) if t == "e" and lab] and all(
        lab == t for lab, t in zip(res.label, truth) if lab)


def test_plot_writes_a_png(tmp_path):
    rng = np.random.default_rng(1)
    pts = [{"fr_delta": x, "d": y, "c": x, "conv_d": y, "conv_c": x, "constant": "pi" if i == 0 else None}
           for i, (x, y) in enumerate(rng.normal(0, 0.01, (40, 2)))]
    res = cluster_metrics(pts)
    res.plot(str(tmp_path / "p.png"))
    assert (tmp_path / "p.png").stat().st_size > 5000
