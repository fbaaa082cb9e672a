"""LLMSearcher: formulas proposed by a language model, refined in a tree search.

The model sees the variables (with units where given), data statistics, the
operators, the current Pareto front and the sub-expressions to avoid, and
proposes formulas; srkit parses them with its own parser, fits their
coefficients and scores them with the problem's Evaluator, and pushes every one
into the Pareto front.  The tree search (:mod:`srkit.search.llm.tree`) decides
which formula to refine next and along which dimension (accuracy or
simplicity).  Optionally the best formulas are then handed to GP as seeds.

Who proposes (``proposer="auto"``, the default): the endpoint when one is set
(``base_url`` or ``$OPENAI_BASE_URL``); else the local model of the ``llm`` extra
(SmolLM2-135M-Instruct in-process, :mod:`srkit.search.llm.local`) when it is
installed; else the grammar-random proposer, the "random" baseline of the LLM
papers.  ``proposer="local"`` or ``"random"`` chooses one explicitly.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping, Sequence

import numpy as np

from srkit.core.expr import Expr
from srkit.fitness.fold import fold_constants
from srkit.search.base import Budget, Callback, Problem, SearchResult, SearchState, run_search
from srkit.search.llm.client import LLMBudgetExceeded, LLMClient, LLMError, OpenAICompatClient
from srkit.search.llm.prompts import describe_data, describe_operators, regression_prompt
from srkit.search.llm.proposers import GrammarRandomClient
from srkit.search.llm.replay import CassetteMiss, ReplayClient
from srkit.search.llm.reply import ParsedReply, parse_reply
from srkit.search.llm.reward import Dimension, RelativeReward
from srkit.search.llm.tree import Node, Scored, TreeConfig, TreeEngine

__all__ = ["LLMConfig", "LLMSearcher", "RegressionTask", "endpoint_configured", "PROPOSERS", "choose_proposer"]

#: the values of LLMConfig.proposer
PROPOSERS = ("auto", "endpoint", "local", "random")

logger = logging.getLogger(__name__)


def endpoint_configured(base_url: str | None = None, model: str = "", api_key: str | None = None) -> bool:
    """Whether a model endpoint is set: a base URL (argument or ``$OPENAI_BASE_URL``), or a
    model and a key (argument or ``$OPENAI_API_KEY``) for the default OpenAI endpoint."""
    key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
    return bool(base_url or os.environ.get("OPENAI_BASE_URL") or (model and key))


def choose_proposer(config: "LLMConfig", api_key: str | None = None) -> str:
    """Which proposer a search with ``config`` uses: ``"endpoint"``, ``"local"`` or ``"random"``.

    ``"auto"`` takes the endpoint when one is configured, else the local model when the
    ``llm`` extra is installed (or ``model_path`` names a file), else grammar-random.
    Raises ValueError when an explicit choice cannot be met, saying how to fix it.

    >>> choose_proposer(LLMConfig(proposer="random"))
    'random'
    """
    from srkit.search.llm.local import INSTALL_HINT, local_model_available

    endpoint = endpoint_configured(config.base_url, config.model, api_key)
    if config.proposer == "auto":
        if endpoint:
            return "endpoint"
        return "local" if (config.model_path or local_model_available()) else "random"
    if config.proposer == "endpoint" and not endpoint:
        raise ValueError("proposer='endpoint' but no endpoint: pass base_url (e.g. http://localhost:11434/v1 "
                         "for Ollama) or set OPENAI_BASE_URL")
    if config.proposer == "local" and not (config.model_path or local_model_available()):
        raise ValueError(f"proposer='local' but no local model is installed: {INSTALL_HINT}; "
                         "or pass model_path='model.gguf'")
    return config.proposer


def engine_concurrency(client: Any) -> int:
    """LLM calls the tree search may have in flight: the limit a thread-safe client declares
    (``OpenAICompatClient.max_concurrency``); one at a time for anything else (the
    grammar-random proposer, cassettes), whose answers must not depend on thread timing.

    >>> engine_concurrency(object())
    1
    """
    return max(1, int(getattr(client, "max_concurrency", 1) or 1))


@dataclass(frozen=True)
class LLMConfig:
    """Settings of :class:`LLMSearcher` (the API key is passed apart, so it is never stored).

    Parameters
    ----------
    proposer : who proposes formulas: ``"auto"`` (the endpoint if one is set, else the
        local model if the ``llm`` extra is installed, else grammar-random), ``"endpoint"``,
        ``"local"`` (a GGUF model in-process; the bundled SmolLM2-135M unless ``model_path``)
        or ``"random"`` (the grammar-random proposer, the papers' random baseline).
    base_url, model : the OpenAI-compatible endpoint (``"http://localhost:11434/v1"``,
        ``"llama3.1"``); ``base_url`` falls back to ``$OPENAI_BASE_URL``.
    model_path : a GGUF file for ``proposer="local"`` (default: the bundled model).
    grammar : decode a local model's formula replies under the run's formula grammar
        (:mod:`srkit.search.llm.gbnf`), so that a small model writes readable formulas.
    temperature, max_tokens, timeout, max_retries : client settings.
    max_concurrency : requests the client lets be in flight, and so the expansions the tree
        search sends at once (one at a time for the grammar-random proposer, cassettes and the
        local model, whose one llama.cpp context uses every core).
    max_calls, max_total_tokens : budgets on LLM calls and tokens (None: unlimited).
    log_path : JSONL file that receives every prompt and reply.
    cassette, cassette_mode : record every reply to this JSONL file (``"record"``),
        or answer from it offline (``"replay"``, fails loudly on an unrecorded prompt).
    units : units of the variables (and ``"y"``) to show the model, e.g. ``{"m": "kg"}``.
    accuracy_weight : weight of accuracy against simplicity in the node reward.
    tree : the tree-search knobs (:class:`TreeConfig`).
    max_failures : consecutive failed LLM calls after which the search stops (keeping its results).
    patience_after_exact : iterations to go on (looking for simpler forms) once a formula
        fits exactly; then the search stops and saves the remaining LLM calls.
    patience : stop after this many iterations in a row that did not change the front (0: never;
        with a paid API, ``max_calls`` and ``max_total_tokens`` bound the cost as well).
    scale_proposals : also score ``c * f`` for a proposal ``f`` without coefficients (models
        often write the shape, ``m * a``, and leave the scale out).
    gp_handoff : hand this many of the best formulas to GP as seeds afterwards (0: no GP phase).
    gp_share : share of a time or evaluation budget left to the GP phase.
    gp_iterations : GP generations when the budget is in iterations (default: the same number).
    """

    proposer: str = "auto"
    base_url: str | None = None
    model: str = ""
    model_path: str | None = None
    grammar: bool = True
    temperature: float = 1.0
    max_tokens: int = 1024
    timeout: float = 120.0
    max_retries: int = 4
    max_concurrency: int = 4
    max_calls: int | None = None
    max_total_tokens: int | None = None
    log_path: str | None = None
    cassette: str | None = None
    cassette_mode: str = "replay"
    units: Mapping[str, str] | None = None
    accuracy_weight: float = 0.75
    tree: TreeConfig = field(default_factory=TreeConfig)
    max_failures: int = 3
    patience_after_exact: int = 5
    patience: int = 0
    scale_proposals: bool = True
    gp_handoff: int = 0
    gp_share: float = 0.5
    gp_iterations: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.accuracy_weight <= 1:
            raise ValueError(f"accuracy_weight must be in [0, 1], got {self.accuracy_weight}")
        if not 0 <= self.gp_share < 1:
            raise ValueError(f"gp_share must be in [0, 1), got {self.gp_share}")
        if self.proposer not in PROPOSERS:
            from srkit.core.operators import suggest

            raise ValueError(f"proposer must be one of {', '.join(PROPOSERS)}, got {self.proposer!r}."
                             f"{suggest(self.proposer, PROPOSERS)}")
        if self.model_path and self.proposer not in ("auto", "local"):
            raise ValueError(f"model_path is for proposer='local', not {self.proposer!r}")
        if self.cassette_mode not in ("record", "replay"):
            raise ValueError(f"cassette_mode must be 'record' or 'replay', got {self.cassette_mode!r}")
        if self.base_url and not self.model and self.cassette is None:
            raise ValueError("an LLM endpoint is set but no model: pass model='...' (e.g. 'llama3.1' "
                             "for Ollama, the served model name for vLLM)")


class RegressionTask:
    """Prompts, parsing and scoring for symbolic regression (accuracy and simplicity)."""

    def __init__(self, problem: Problem, state: SearchState, config: LLMConfig) -> None:
        self.problem = problem
        self.state = state
        self.config = config
        w = config.accuracy_weight
        self.reward = RelativeReward([
            Dimension("accuracy", higher_is_better=False, weight=w, metric="loss"),
            Dimension("simplicity", higher_is_better=False, weight=1 - w, metric="complexity"),
        ])
        self._data_text = describe_data(problem.dataset, config.units)
        self._ops_text = describe_operators(problem.opset)

    def text(self, expr: Expr) -> str:
        return expr.format(6)

    def _front(self) -> list[tuple[str, float, float]]:
        entries = self.state.front.entries()[-8:]
        return [(self.text(e.expr), e.loss, e.complexity) for e in entries]

    def seed_messages(self, n: int, avoid: Sequence[str], tried: Sequence[str]) -> list[dict[str, str]]:
        return regression_prompt(
            data_text=self._data_text, operators_text=self._ops_text, variables=self.problem.opset.variables,
            n=n, front=self._front(), avoid=avoid, tried=tried,
        )

    def refine_messages(
        self, node: Node, dimension: str, history: Sequence[str], avoid: Sequence[str],
        tried: Sequence[str], n: int,
    ) -> list[dict[str, str]]:
        return regression_prompt(
            data_text=self._data_text, operators_text=self._ops_text, variables=self.problem.opset.variables,
            n=n, front=self._front(), formula=self.text(node.expr), scores=node.scores, metrics=node.metrics,
            dimension=dimension, history=history, avoid=avoid, tried=tried,
        )

    def repair_hint(self) -> str:
        return (f"Use only the variables {', '.join(self.problem.opset.variables)} and the operators "
                f"{self._ops_text}, and at most {self.problem.max_size} nodes per formula.")

    def parse(self, reply: str) -> ParsedReply:
        return parse_reply(reply, self.problem.opset, max_size=self.problem.max_size,
                           max_depth=self.problem.max_depth, max_formulas=2 * self.config.tree.n_per_call)

    def score(self, exprs: Sequence[Expr]) -> list[Scored]:
        """Fit coefficients and score through the Evaluator; every formula goes to the front."""
        out = []
        opset = self.problem.opset
        for expr in exprs:
            variants = [fold_constants(expr.with_opset(opset))]
            if self.config.scale_proposals and variants[0].n_coefs == 0 and opset.has("mul"):
                variants.append(Expr.apply(opset, "mul", Expr.coefficient(opset, 1.0), variants[0]))
            for variant in variants:
                fitted, loss = self.problem.evaluator.fit(variant)
                self.state.offer(fitted, loss)
                out.append(Scored(fitted, {"loss": loss, "complexity": fitted.complexity}))
        return out

    def quality(self, scored: Scored, reward: float) -> float:
        return -scored.metrics["loss"]


class LLMSearcher:
    """Formulas from a language model refined in an Alpha-Jungle-style tree search.

    Parameters
    ----------
    config : :class:`LLMConfig`; keyword overrides are applied on top.
    client : any :class:`~srkit.search.llm.client.LLMClient` (a replay, a scripted
        client, an in-process model); default: built from the config.
    api_key : key of the endpoint (default ``$OPENAI_API_KEY``); kept out of the config.
    llm : the settings as a dict (what ``SymbolicRegressor(searcher="llm", llm={...})``
        passes); may hold ``api_key``.

    Examples
    --------
    >>> import numpy as np
    >>> from srkit.core import as_dataset, default_registry
    >>> from srkit.fitness import Evaluator
    >>> from srkit.search.base import Budget, Problem
    >>> from srkit.search.llm.proposers import ScriptedClient
    >>> X = np.random.default_rng(0).uniform(1, 2, (30, 2))
    >>> data = as_dataset(X, 3 * X[:, 0] / X[:, 1] ** 2)
    >>> ops = default_registry().operator_set(["add", "mul", "div", "pow"], data.feature_names)
    >>> searcher = LLMSearcher(client=ScriptedClient(["```\\ny = 2*x0/x1**2\\n```"], cycle=True))
    >>> result = searcher.search(Problem(data, ops, Evaluator(data)), budget=Budget(iterations=2),
    ...                          rng=np.random.default_rng(0))
    >>> result.best.expr.format(6)
    '3 * x0 / x1 ** 2'
    """

    name: ClassVar[str] = "llm"

    def __init__(
        self,
        config: LLMConfig | None = None,
        *,
        client: LLMClient | None = None,
        api_key: str | None = None,
        llm: Mapping[str, Any] | None = None,
        **overrides: Any,
    ) -> None:
        settings = dict(llm or {})
        api_key = settings.pop("api_key", api_key)
        if "tree" in settings and isinstance(settings["tree"], Mapping):
            settings["tree"] = TreeConfig(**settings["tree"])
        settings.update(overrides)
        known = {f.name for f in dataclasses.fields(LLMConfig)}
        unknown = sorted(set(settings) - known)
        if unknown:
            from srkit.core.operators import suggest

            raise ValueError(f"unknown llm setting(s) {unknown}.{suggest(unknown[0], known)} "
                             f"Known: {', '.join(sorted(known))}")
        self.config = cfg = dataclasses.replace(config, **settings) if config else LLMConfig(**settings)
        self.client = client
        self._api_key = api_key
        if client is None and cfg.cassette is None and cfg.proposer in ("auto", "endpoint"):
            endpoint = endpoint_configured(cfg.base_url, cfg.model, api_key)
            if endpoint and not cfg.model:
                raise ValueError("an LLM endpoint is set (OPENAI_BASE_URL) but no model: pass model='...' "
                                 "(e.g. 'llama3.1' for Ollama, the served model name for vLLM)")
            if cfg.model and not endpoint:
                raise ValueError(f"model {cfg.model!r} is given but no endpoint: pass base_url (e.g. "
                                 "http://localhost:11434/v1 for Ollama) or set OPENAI_BASE_URL, or an API key "
                                 "for the OpenAI API")
        self.proposer = ""
        self.engine: TreeEngine | None = None

    def __repr__(self) -> str:
        return f"LLMSearcher(base_url={self.config.base_url!r}, model={self.config.model!r})"

    def make_client(self, problem: Problem, rng: np.random.Generator) -> LLMClient:
        """The client this search talks to (see the class docstring)."""
        cfg = self.config
        client = self.client
        if client is None and cfg.cassette and cfg.cassette_mode == "replay":
            return ReplayClient(cfg.cassette, "replay", model=cfg.model or None)
        who = choose_proposer(cfg, self._api_key) if client is None else ""
        if who == "endpoint":
            client = OpenAICompatClient(
                cfg.base_url, self._api_key, cfg.model, temperature=cfg.temperature, max_tokens=cfg.max_tokens,
                timeout=cfg.timeout, max_retries=cfg.max_retries, max_concurrency=cfg.max_concurrency,
                max_calls=cfg.max_calls, max_total_tokens=cfg.max_total_tokens, log=cfg.log_path,
            )
        elif who == "local":
            from srkit.search.llm.gbnf import formula_gbnf
            from srkit.search.llm.local import LocalModelClient

            # one llama.cpp context with every core: on 2 cores it answered 0.50 calls/s, where
            # four one-thread contexts answered 0.29 and two 0.24 (RESULTS.md, "llm searcher");
            # a LocalModelClient(max_concurrency=k) passed as client= sets more
            client = LocalModelClient(
                cfg.model_path, max_concurrency=1, temperature=cfg.temperature,
                max_tokens=cfg.max_tokens, max_calls=cfg.max_calls, max_total_tokens=cfg.max_total_tokens,
                log=cfg.log_path,
                formula_grammar=formula_gbnf(problem.opset, 2 * cfg.tree.n_per_call) if cfg.grammar else None)
            logger.info("no LLM endpoint configured; proposing formulas with the local model %s", client.model)
        elif who == "random":
            logger.info("proposing formulas with the grammar-random proposer (the random baseline)")
            client = GrammarRandomClient(problem.opset, rng, max_size=problem.max_size, max_depth=problem.max_depth)
        if cfg.cassette:
            client = ReplayClient(cfg.cassette, "record", inner=client)
        return client

    def search(
        self,
        problem: Problem,
        *,
        budget: Budget,
        rng: np.random.Generator,
        callbacks: Sequence[Callback] = (),
    ) -> SearchResult:
        seed = int(rng.integers(2**63 - 1))
        cfg = self.config
        client_rng, tree_rng, gp_rng = rng.spawn(3)
        client = self.make_client(problem, client_rng)
        self.proposer = getattr(client, "model", "") or type(client).__name__
        llm_budget = budget
        if cfg.gp_handoff:
            llm_budget = Budget(
                time=None if budget.time is None else budget.time * (1 - cfg.gp_share),
                evals=None if budget.evals is None else int(budget.evals * (1 - cfg.gp_share)),
                iterations=budget.iterations,
            )

        def loop(state: SearchState) -> None:
            self._loop(state, client, tree_rng)

        result = run_search(self, problem, llm_budget, callbacks, loop, seed)
        if cfg.gp_handoff and result.stopped_by != "interrupt":
            result = self._handoff(problem, budget, result, gp_rng, callbacks)
        return result

    def _loop(self, state: SearchState, client: LLMClient, rng: np.random.Generator) -> None:
        problem = state.problem
        task = RegressionTask(problem, state, self.config)
        engine = self.engine = TreeEngine(task, client, self.config.tree, rng, concurrency=engine_concurrency(client))
        if problem.seeds:
            engine.start_from(list(problem.seeds))
        failures = 0
        if state.budget.time is not None:  # waits for the server end with the budget
            for c in (client, getattr(client, "inner", None)):
                if c is not None and hasattr(c, "deadline"):
                    c.deadline = state.start + state.budget.time
        exact_since: int | None = None
        stale, front_before = 0, state.front.to_records()
        while not state.out_of_budget():
            try:
                info = engine.step()
                failures = 0
            except LLMBudgetExceeded as exc:
                logger.info("%s; stopping", exc)
                state.stopped_by = "llm_budget"
                break
            except CassetteMiss:
                raise
            except LLMError as exc:
                failures += 1
                logger.warning("LLM call failed (%d in a row): %s", failures, exc)
                info = {"action": "error", "error": str(exc)[:300]}
                if failures >= self.config.max_failures:
                    state.stopped_by = "llm_error"
                    state.end_iteration(**info)
                    break
            info.update(llm_calls=engine.n_calls, repairs=engine.n_repairs, trees=len(engine.trees))
            stop = state.end_iteration(**info)
            if exact_since is None and state.found_exact():
                exact_since = state.iteration
            if exact_since is not None and state.iteration - exact_since >= self.config.patience_after_exact:
                state.stopped_by = state.stopped_by or "exact"
                stop = True
            front_now = state.front.to_records()
            stale, front_before = (stale + 1 if front_now == front_before else 0), front_now
            if self.config.patience and stale >= self.config.patience:
                state.stopped_by = state.stopped_by or "stale"
                stop = True
            if stop:
                break

    def _handoff(
        self,
        problem: Problem,
        budget: Budget,
        result: SearchResult,
        rng: np.random.Generator,
        callbacks: Sequence[Callback],
    ) -> SearchResult:
        """Run GP seeded with the best LLM formulas; merge its front into the result."""
        from srkit.search.floor.evolution import GPSearcher

        entries = sorted(result.front.entries(), key=lambda e: (e.loss, e.complexity))
        seeds: list[Expr] = [e.expr for e in entries[: self.config.gp_handoff]]
        if self.engine is not None:
            seeds += [e for _, e in self.engine.good if not any(e.same_skeleton(s) for s in seeds)]
        seeds = seeds[: max(self.config.gp_handoff, 1)]
        remaining_time = None if budget.time is None else max(0.0, budget.time - result.wall_time)
        gp_budget = Budget(
            time=remaining_time, evals=budget.evals,
            iterations=None if budget.iterations is None else (self.config.gp_iterations or budget.iterations),
        )
        gp_result = GPSearcher().search(
            dataclasses.replace(problem, seeds=seeds), budget=gp_budget, rng=rng, callbacks=callbacks
        )
        result.front.merge(gp_result.front)
        history = result.history + [{**h, "phase": "gp"} for h in gp_result.history]
        return dataclasses.replace(
            result,
            best=result.front.select(problem.selection) if result.front else None,
            n_evals=problem.evaluator.n_evals,
            iterations=result.iterations + gp_result.iterations,
            wall_time=result.wall_time + gp_result.wall_time,
            history=history,
            stopped_by=gp_result.stopped_by or result.stopped_by,
        )
