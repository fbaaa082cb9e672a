"""The llm searcher: formulas proposed by a language model, refined in a tree search.

- :mod:`.client`: the LLMClient protocol and the OpenAI-compatible HTTP client;
- :mod:`.local`, :mod:`.gbnf`: a GGUF model in-process (the ``llm`` extra's SmolLM2-135M)
  and the formula grammar its replies are decoded under;
- :mod:`.replay`, :mod:`.proposers`: offline clients (cassettes, grammar-random, scripted);
- :mod:`.prompts`, :mod:`.reply`: what the model is told and how its replies are parsed;
- :mod:`.tree`, :mod:`.reward`, :mod:`.subtrees`: the Alpha-Jungle tree search;
- :mod:`.searcher`: LLMSearcher for regression; :mod:`.alpha`: the task for alpha factors.
"""

from srkit.search.llm.alpha import ALPHA_DIMENSIONS, AlphaTask, llm_overfit_score
from srkit.search.llm.client import (
    CallLog,
    Completion,
    LLMBudgetExceeded,
    LLMClient,
    LLMError,
    OpenAICompatClient,
)
from srkit.search.llm.local import LocalModelClient, local_model_available
from srkit.search.llm.proposers import GrammarRandomClient, ScriptedClient
from srkit.search.llm.replay import CassetteMiss, ReplayClient
from srkit.search.llm.reply import parse_reply
from srkit.search.llm.reward import Dimension, RelativeReward
from srkit.search.llm.searcher import LLMConfig, LLMSearcher, endpoint_configured
from srkit.search.llm.subtrees import frequent_closed_genes, root_genes
from srkit.search.llm.tree import TreeConfig, TreeEngine

__all__ = [
    "ALPHA_DIMENSIONS", "AlphaTask", "llm_overfit_score", "CallLog", "Completion", "LLMBudgetExceeded",
    "LLMClient", "LLMError", "OpenAICompatClient", "LocalModelClient", "local_model_available",
    "GrammarRandomClient", "ScriptedClient",
    "CassetteMiss", "ReplayClient", "parse_reply", "Dimension", "RelativeReward", "LLMConfig",
    "LLMSearcher", "endpoint_configured", "frequent_closed_genes", "root_genes", "TreeConfig", "TreeEngine",
]
