"""fit_many through a real dask.distributed cluster gives the serial results."""

import numpy as np
import pytest

from srkit.core import as_dataset, parse
from srkit.fitness import Evaluator


@pytest.mark.slow
def test_fit_many_on_a_local_dask_cluster_matches_serial():
    distributed = pytest.importorskip("distributed")
    X = np.random.default_rng(0).uniform(0.5, 2, (50, 2))
    data = as_dataset(X, 2.5 * np.sin(X[:, 0]) * X[:, 1] ** 1.5 + 0.3)
    exprs = [parse(t, data.feature_names) for t in (
        "1.0*sin(x0)*x1**1.0 + 0.0", "1.0*x0*x1", "2.0*exp(x0) - x1", "1.0*sin(x0)*x1 + 1.0",
        "x0**1.0 + x1**2.0", "1.0*cos(x1) + 1.0*x0", "1.0/x0 + 1.0", "log(x0*1.0) + x1*2.0",
        "1.0*sin(x0)*x1**1.0 + 0.5*x0", "x0*x1*x0*1.0",
    )]
    serial = Evaluator(data)
    expected = serial.fit_many(exprs)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        on_dask = Evaluator(data, n_jobs=2, backend="dask")
        got = on_dask.fit_many(exprs)
    assert [str(e) for e, _ in got] == [str(e) for e, _ in expected]
    assert [loss for _, loss in got] == [loss for _, loss in expected]
    assert on_dask.n_evals == serial.n_evals
    assert expected[0][1] < 1e-20  # the true structure fits exactly
