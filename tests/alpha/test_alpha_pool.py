"""Factor pool: weights, admission by IC and correlation, eviction, persistence."""

import numpy as np
import pytest

from srkit.alpha.formula import factor_values
from srkit.alpha.metrics import forward_returns
from srkit.alpha.pool import FactorPool, combine, zscore_by_date


def _data(seed=0):
    rng = np.random.default_rng(seed)
    y = rng.standard_normal((60, 40))
    return rng, y


def test_single_member_weight_is_its_ic():
    rng, y = _data()
    f = y + 2 * rng.standard_normal(y.shape)
    pool = FactorPool(y, ridge=0.0)
    assert pool.add("f", f)
    assert pool.weights[0] == pytest.approx(pool.ics[0])
    assert pool.train_ic == pytest.approx(pool.ics[0])


def test_weights_solve_the_mutual_ic_system_and_combination_beats_members():
    rng, y = _data(1)
    a = y + 3 * rng.standard_normal(y.shape)
    b = y + 3 * rng.standard_normal(y.shape)
    pool = FactorPool(y, ridge=0.0, max_corr=0.9)
    assert pool.add("a", a) and pool.add("b", b)
    np.testing.assert_allclose(pool.mutual @ pool.weights, pool.ics, rtol=1e-10)
    assert pool.train_ic > max(pool.ics)


def test_admission_rules_and_eviction():
    rng, y = _data(2)
    pool = FactorPool(y, capacity=2, min_abs_ic=0.05, max_corr=0.7)
    assert not pool.add("noise", rng.standard_normal(y.shape))  # |IC| too small
    strong = y + rng.standard_normal(y.shape)
    assert pool.add("strong", strong)
    assert not pool.add("strong_again", strong * 2 + 1)  # perfectly correlated
    assert not pool.add("strong", strong)  # duplicate formula
    weak = y + 4 * rng.standard_normal(y.shape)
    medium = y + 2 * rng.standard_normal(y.shape)
    assert pool.add("weak", weak)
    assert pool.add("medium", medium)  # over capacity: the smallest |weight| goes
    assert len(pool) == 2 and "weak" not in pool.formulas


def test_labels_outside_train_are_ignored_and_save(tmp_path):
    rng, y = _data(3)
    labels = y.copy()
    labels[30:] = np.nan  # train = first 30 dates
    f = y.copy()
    f[30:] = -y[30:]  # the factor inverts after train: must not matter
    pool = FactorPool(labels)
    pool.add("f", f)
    assert pool.ics[0] == pytest.approx(1.0)
    path = tmp_path / "pool.json"
    pool.save(path)
    formulas, weights = FactorPool.load_formulas(path)
    assert formulas == ["f"] and weights.tolist() == pytest.approx(pool.weights.tolist())


def test_zscore_by_date():
    z = zscore_by_date(np.array([[1.0, 2.0, 3.0, np.nan], [5.0, 5.0, 5.0, 5.0]]))
    assert z[0, :3] == pytest.approx([-1.2247448714, 0.0, 1.2247448714]) and z[0, 3] == 0.0
    assert (z[1] == 0).all()


def test_saved_pool_combines_in_z_scores_and_a_rank_pool_is_refused(tmp_path):
    import json

    from srkit.alpha.synthetic import synthetic_panel

    panel = synthetic_panel(n_dates=80, n_assets=20, seed=1)
    labels = forward_returns(panel, 1)
    formulas = ["ts_delta(close, 5)", "ts_mean(volume, 10)"]
    values = [factor_values(f, panel) for f in formulas]
    pool = FactorPool(labels, min_abs_ic=0.0, max_corr=0.99)
    for f, v in zip(formulas, values):
        pool.add(f, v)
    path = tmp_path / "pool.json"
    pool.save(path)
    np.testing.assert_allclose(FactorPool.combined_from_file(path, panel), combine(values, pool.weights))
    saved = json.loads(path.read_text())
    saved["scale"] = "z"  # files written while the option existed say so
    path.write_text(json.dumps(saved))
    np.testing.assert_allclose(FactorPool.combined_from_file(path, panel), combine(values, pool.weights))
    saved["scale"] = "rank"  # weights fitted on ranks: combining them in z-scores would be wrong
    path.write_text(json.dumps(saved))
    with pytest.raises(ValueError, match=r"pool\.json was mined with scale 'rank'.*mine the pool again"):
        FactorPool.combined_from_file(path, panel)
