"""Is a mined pool's lead over random formulas more than noise?  Reads a result file of
``bench_alpha.py`` (the pools' formulas and weights are saved in it), rebuilds each
seed's GP and random pool on the test period and reports, per seed and for the mean
over seeds, the mean daily test rank IC with its Newey-West t-statistic
(``horizon - 1`` lags: 5-day labels of consecutive days overlap), and the same for the
daily difference GP minus random.  Seeds share the test dates, so they are not
independent samples: the "mean of seeds" row averages the daily series first and
takes one t-statistic of that.

    python benchmarks/alpha_significance.py benchmarks/results/alpha/alpha_sp500_blocks3.json [more.json ...]

Several files (same data and horizon, e.g. the same setting run for different seeds) are
read as one list of seeds.  Writes ``<first file>_significance.md`` next to the first
input and prints it.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_alpha import DATA  # noqa: E402

from srkit.alpha import load_panel  # noqa: E402
from srkit.alpha.formula import factor_values  # noqa: E402
from srkit.alpha.metrics import forward_returns, hac_t, period_labels  # noqa: E402
from srkit.alpha.pool import FactorPool, combine  # noqa: E402
from srkit.fitness.losses import daily_rank_ic  # noqa: E402


def daily_test_rank_ic(pool: dict, panel, split, horizon: int) -> np.ndarray:
    FactorPool.check_scale(pool, "a pool of the result file")
    values = combine([factor_values(f, panel) for f in pool["formulas"]], pool["weights"])
    mask = panel.date_mask(split.test_start, split.test_end)
    labels = period_labels(forward_returns(panel, horizon), mask, horizon)
    return daily_rank_ic(labels, values)


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        sys.exit(__doc__)
    paths = [Path(a) for a in sys.argv[1:]]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        sys.exit(f"no such result file: {', '.join(missing)} (bench_alpha.py --out writes them)")
    results = [json.loads(p.read_text()) for p in paths]
    if len({(r["data"], r["horizon"]) for r in results}) != 1:
        sys.exit("the files must share their data set and horizon")
    data_path, split = DATA[results[0]["data"]]
    if not Path(data_path).exists():
        sys.exit(f"{data_path} is absent; this needs the shared data (see /work/shared/data/MANIFEST.txt)")
    panel = load_panel(data_path)
    h = int(results[0]["horizon"])
    lines = [f"{results[0]['data']}, {', '.join(p.name for p in paths)}: daily test rank IC of the combined "
             f"pools, Newey-West t with {h - 1} lags", "",
             "| seed | GP mean | GP t | random mean | random t | GP - random | t of the difference |",
             "|---|---|---|---|---|---|---|"]
    gps, rnds = [], []
    for run in [run for r in results for run in r["runs"]]:
        gp = daily_test_rank_ic(run["gp"]["pool"], panel, split, h)
        rnd = daily_test_rank_ic(run["random"]["pool"], panel, split, h)
        gps.append(gp)
        rnds.append(rnd)
        lines.append(_row(str(run["seed"]), gp, rnd, h))
    if len(gps) > 1:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # dates where no seed has an IC stay nan
            gp_mean, rnd_mean = np.nanmean(gps, axis=0), np.nanmean(rnds, axis=0)
        lines.append(_row(f"mean of {len(gps)} seeds", gp_mean, rnd_mean, h))
    text = "\n".join(lines) + "\n"
    (paths[0].parent / f"{paths[0].stem}_significance.md").write_text(text)
    print(text)


def _row(label: str, gp: np.ndarray, rnd: np.ndarray, h: int) -> str:
    diff = gp - rnd
    return (f"| {label} | {np.nanmean(gp):.4f} | {hac_t(gp, h - 1):.2f} | {np.nanmean(rnd):.4f} | "
            f"{hac_t(rnd, h - 1):.2f} | {np.nanmean(diff):.4f} | {hac_t(diff, h - 1):.2f} |")


if __name__ == "__main__":
    main()
