"""The README's examples run as written (issue 27).

Every ```bash block of README.md runs verbatim through ``bash -e`` with the installed
``srkit`` command, in a fresh folder that holds the files the examples name:
``data.csv`` (columns m, v, a, F, y with F = m * a and y = 0.5 * m * v**2, so the fits
stop early on an exact law) and ``prices/`` (per-ticker CSVs of
:func:`srkit.alpha.synthetic.synthetic_panel`, 2013-01 to 2018-03, one late listing).
The ```python blocks run in order in one namespace, in a folder of their own (they
are the other route through the README; ``model.save("model.json")`` and
``srkit fit ... --output model.json`` would otherwise meet).

What differs from a user's machine, and nothing else:

- the two set-up blocks (``python3 -m venv ... pip install ...``) are not run: they
  are what CI itself runs before the tests;
- ``http://localhost:11434/v1`` (Ollama) is replaced by the address of the fake
  OpenAI-compatible server of ``tests/conftest.py``, which answers with the law of
  the data (and with factor formulas for the alpha prompts);
- in the Python blocks, the budgets listed in ``PY_BUDGETS`` are lowered (the shell
  blocks already use short ones); each must match README's text, so a README change
  fails here instead of silently running a 10-minute mining job.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytestmark = pytest.mark.slow

README = Path(__file__).resolve().parents[1] / "README.md"
FENCE = re.compile(r"^```(\w*)[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
OLLAMA = "http://localhost:11434/v1"
SETUP = "python3 -m venv"
#: Python-block budgets lowered for the test: README text -> what runs.
PY_BUDGETS = {"MiningConfig(rounds=10, time_per_round=60)": "MiningConfig(rounds=2, time_per_round=5)"}

LAW_REPLY = "```\ny = 0.5 * m * v**2\n```"
ALPHA_REPLY = "```\n-ts_pct(close, 5)\nts_mean(high - low, 10) / close\ncs_rank(ts_std(close, 20))\n```"


def _blocks(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(README.read_text(encoding="utf-8")) if lang == language]


def _shell_blocks() -> list[str]:
    return [b for b in _blocks("bash") if SETUP not in b]


def test_readme_has_the_blocks_this_test_expects():
    bash = _blocks("bash")
    assert sum(SETUP in b for b in bash) == 2  # the set-up blocks, skipped by design
    assert len(_shell_blocks()) >= 4 and len(_blocks("python")) >= 5


def _fake_model(messages: list[dict[str, str]]) -> str:
    """A stand-in language model: the law of data.csv, or factors for a price panel."""
    text = messages[-1]["content"]
    if "over-fitting" in text:  # the alpha judge
        return '{"reason": "a plain reversal", "score": 2}'
    return ALPHA_REPLY if "close" in text else LAW_REPLY


def _write_data(folder: Path) -> None:
    rng = np.random.default_rng(0)
    n = 200
    m, v, a = rng.uniform(0.5, 5, n), rng.uniform(0.5, 5, n), rng.uniform(-3, 3, n)
    rows = zip(m, v, a, m * a, 0.5 * m * v**2)
    (folder / "data.csv").write_text(
        "m,v,a,F,y\n" + "".join(",".join(f"{x:.17g}" for x in r) + "\n" for r in rows))


def _write_prices(folder: Path) -> None:
    from srkit.alpha.synthetic import synthetic_panel, write_price_folder

    # covers README's Split (2013-02-01 .. 2018-02-28); small enough to mine in seconds
    panel = synthetic_panel(n_dates=1350, n_assets=20, start="2013-01-01", reversal=0.3)
    write_price_folder(panel, folder / "prices", late={0: 30})  # one late listing


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    _write_data(tmp_path)
    _write_prices(tmp_path)
    return tmp_path


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "SRKIT_DEBUG")}
    # the srkit command of this environment first on PATH, as after `. .venv/bin/activate`
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["MPLBACKEND"] = "Agg"
    return env


@pytest.mark.parametrize("block", _shell_blocks(),
                         ids=[f"{k}-{b.split()[1]}" for k, b in enumerate(_shell_blocks())])
def test_shell_block_runs_as_written(block: str, workdir: Path, chat_server: Any) -> None:
    script = block
    if OLLAMA in script:
        server = chat_server.start([], default=_fake_model)
        script = script.replace(OLLAMA, server.base_url)
    proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=workdir, env=_env(),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"README block failed:\n{block}\nstdout:\n{proc.stdout[-3000:]}\n" \
                                 f"stderr:\n{proc.stderr[-3000:]}"
    assert "Traceback" not in proc.stderr
    _check_results(block, workdir, proc.stdout, proc.stderr)


def _check_results(block: str, folder: Path, out: str, err: str) -> None:
    """What each block promises, beyond running: the law, the files, the identified constant."""
    if "--output model.json" in block:
        import srkit

        model = srkit.load(folder / "model.json")
        X = np.array([[2.0, 3.0, 1.0, 2.0]])  # m, v, a, F
        assert model.predict(X)[0] == pytest.approx(9.0, rel=1e-6)  # 0.5 * 2 * 3**2
    if "--features m,a" in block:
        chosen = out.split("Chosen formula:")[-1].splitlines()[0]
        assert chosen.strip() in ("a * m", "m * a"), out
    if "problems list" in block:
        assert "Nguyen-1" in out
    if "--searcher llm" in block and "fit data.csv" in block:
        assert (folder / "llm_calls.jsonl").stat().st_size > 0
        assert "stopped by" in out
    if "cf eval" in block:
        assert "6/zeta(3)" in out
        assert json.loads((folder / "out.json").read_text()) and (folder / "planes.png").exists()
    if "alpha eval" in block:
        assert "late listings" in err  # the load report the README promises
        assert json.loads((folder / "eval.json").read_text())["rank_ic"] is not None
        assert json.loads((folder / "pool.json").read_text())["formulas"]
        assert (folder / "mined.json").exists() and (folder / "curve.png").exists()
        assert (folder / "calls.jsonl").stat().st_size > 0


def test_python_blocks_run_in_order(workdir: Path, chat_server: Any, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    python_dir = workdir / "python"
    python_dir.mkdir()
    (workdir / "prices").rename(python_dir / "prices")
    monkeypatch.chdir(python_dir)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    server = chat_server.start([], default=_fake_model)
    source = "\n\n".join(_blocks("python"))
    for readme_text, lowered in PY_BUDGETS.items():
        assert readme_text in source, f"README no longer has {readme_text!r}: update PY_BUDGETS"
        source = source.replace(readme_text, lowered)
    assert OLLAMA in source
    source = source.replace(OLLAMA, server.base_url)
    namespace: dict[str, Any] = {"__name__": "__readme__"}  # one namespace: names flow as in a session
    exec(compile(source, str(README), "exec"), namespace)  # noqa: S102 - the project's own README
    model = namespace["model"]
    X = namespace["X"]
    # the kinetic-energy example and the llm example both find 0.5 * m * v**2
    assert model.predict(X[:5]) == pytest.approx(0.5 * X[:5, 0] * X[:5, 1] ** 2, rel=1e-6)
    assert (python_dir / "model.json").exists() and (python_dir / "llm_calls.jsonl").exists()
    assert len(namespace["result"].pool) >= 1
    out = capsys.readouterr().out
    assert "4/pi" in out
