"""The ``--llm-*`` command-line options, shared by ``srkit fit``/``demo`` and ``srkit alpha mine``.

One public place for both command lines: they add the options with
:func:`add_llm_arguments` and read them back with :func:`llm_settings`, so the
option names, the rule that they need ``--searcher llm`` and the note about a
missing endpoint are written once.  It sits with the llm searcher because the
settings are that searcher's (``SymbolicRegressor(llm=...)``, ``mine(llm=...)``).
"""

from __future__ import annotations

import argparse
import sys

from srkit.search.llm.searcher import PROPOSERS, LLMConfig, choose_proposer

__all__ = ["add_llm_arguments", "check_llm_arguments", "llm_settings"]

#: argparse destination -> the key of the llm settings dict
_KEYS = (("llm_proposer", "proposer"), ("llm_base_url", "base_url"), ("llm_model", "model"),
         ("llm_model_path", "model_path"), ("llm_api_key", "api_key"), ("llm_log", "log_path"))


def add_llm_arguments(p: argparse.ArgumentParser) -> None:
    """Add the --llm-* options to ``p``; read them back with :func:`llm_settings`."""
    llm = p.add_argument_group("llm searcher (--searcher llm; any OpenAI-compatible server, or a local model)")
    llm.add_argument("--llm-proposer", choices=PROPOSERS,
                     help="who proposes formulas: auto (default: the endpoint if set, else the local model of "
                          "the llm extra if installed, else grammar-random), endpoint, local, or random "
                          "(the random baseline)")
    llm.add_argument("--llm-base-url", help="e.g. http://localhost:11434/v1 (Ollama); default $OPENAI_BASE_URL")
    llm.add_argument("--llm-model", help="model name as the server knows it, e.g. llama3.1")
    llm.add_argument("--llm-model-path", help="a GGUF model file to run in-process (--llm-proposer local); "
                     "default: the bundled SmolLM2-135M-Instruct of the llm extra")
    llm.add_argument("--llm-api-key", help="API key (default $OPENAI_API_KEY; local servers need none)")
    llm.add_argument("--llm-log", help="append every prompt and reply to this JSONL file")


def check_llm_arguments(args: argparse.Namespace) -> None:
    """Raise ValueError when an --llm-* option is given without ``--searcher llm``.

    Cheap and silent, so a command can call it before any slow work (loading a panel).
    """
    given = [dest for dest, _ in _KEYS if getattr(args, dest, None) is not None]
    if given and args.searcher != "llm":
        raise ValueError("the --llm-* options need --searcher llm")


def llm_settings(args: argparse.Namespace) -> dict[str, str] | None:
    """The llm searcher's settings from --llm-* (None for other searchers).

    Says on stderr who proposes the formulas when it is not an endpoint the user set:
    the local model (which one), or the grammar-random proposer, which a user should
    know is the random baseline.  An explicit choice that cannot be met is a ValueError.
    """
    check_llm_arguments(args)
    if args.searcher != "llm":
        return None
    given = {key: getattr(args, dest) for dest, key in _KEYS if getattr(args, dest, None) is not None}
    config = LLMConfig(**{k: v for k, v in given.items() if k != "api_key"})
    who = choose_proposer(config, given.get("api_key"))
    if who == "local":
        from srkit.search.llm.local import bundled_model_path

        path = config.model_path or bundled_model_path()
        print(f"srkit: formulas come from the local model {path} (llama.cpp, in-process); "
              "--llm-base-url or OPENAI_BASE_URL points srkit at a server instead", file=sys.stderr)
    elif who == "random":
        why = ("" if config.proposer == "random" else
               "no LLM endpoint configured (--llm-base-url or OPENAI_BASE_URL) and no local model "
               '(pip install -e ".[llm]"): ')
        print(f"srkit: {why}formulas come from the grammar-random proposer, the random baseline", file=sys.stderr)
    return given
