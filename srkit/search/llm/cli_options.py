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

from srkit.search.llm.searcher import endpoint_configured

__all__ = ["add_llm_arguments", "check_llm_arguments", "llm_settings"]

#: argparse destination -> the key of the llm settings dict
_KEYS = (("llm_base_url", "base_url"), ("llm_model", "model"), ("llm_api_key", "api_key"), ("llm_log", "log_path"))


def add_llm_arguments(p: argparse.ArgumentParser) -> None:
    """Add the --llm-* options to ``p``; read them back with :func:`llm_settings`."""
    llm = p.add_argument_group("llm searcher (--searcher llm; any OpenAI-compatible server)")
    llm.add_argument("--llm-base-url", help="e.g. http://localhost:11434/v1 (Ollama); default $OPENAI_BASE_URL")
    llm.add_argument("--llm-model", help="model name as the server knows it, e.g. llama3.1")
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

    Says on stderr when no endpoint is configured: the search then runs on the
    grammar-random proposer, which a user should know is the random baseline.
    """
    check_llm_arguments(args)
    if args.searcher != "llm":
        return None
    given = {key: getattr(args, dest) for dest, key in _KEYS if getattr(args, dest, None) is not None}
    if not args.llm_model and not endpoint_configured(args.llm_base_url):
        print("srkit: no LLM endpoint configured (--llm-base-url or OPENAI_BASE_URL): formulas come from the "
              "grammar-random proposer, the random baseline", file=sys.stderr)
    return given
