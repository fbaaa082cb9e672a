"""Double Q-learning over token prefixes: the policy that guides MCTS rollouts.

A state is the tuple of tokens placed so far (the prefix); an action is the next token.
Two tables ``Q_A`` and ``Q_B`` hold one value per (prefix, token).  After each complete
expression the whole trajectory is updated from its end backwards (van Hasselt's double
Q-learning: one table picks the best next token, the other values it), so the reward of a
good expression reaches the first tokens in one pass.  The policy mixes the base prior
with ``softmax((Q_A + Q_B) / 2 / temperature)``.

Unlike the reference code, the state advances with every token chosen (inside a
simulation too), the learning rate is large enough for the policy to move, and
expressions found by other searchers can be replayed into the tables (:meth:`learn`).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["DoubleQTable"]

Array = NDArray[np.float64]


class DoubleQTable:
    """Two Q tables keyed by token prefix.

    Parameters
    ----------
    n_actions : number of tokens.
    learning_rate : step size alpha of each update.
    discount : gamma, the weight of the next state's value.
    step_reward : reward of each non-final token (the final one gets the expression's reward).
    max_states : prefixes stored at most; past it, unknown prefixes are not added (memory bound).

    Examples
    --------
    >>> import numpy as np
    >>> q = DoubleQTable(3, learning_rate=0.5, discount=1.0)
    >>> rng = np.random.default_rng(0)
    >>> for _ in range(3):
    ...     q.update_trajectory([(), (0,)], [0, 2], 1.0, rng)
    >>> q.values(()).round(4).tolist(), q.values((0,)).round(4).tolist()
    ([0.1875, 0.0, 0.0], [0.0, 0.0, 0.625])
    """

    def __init__(
        self,
        n_actions: int,
        *,
        learning_rate: float = 0.2,
        discount: float = 1.0,
        step_reward: float = 0.0,
        max_states: int = 200_000,
    ) -> None:
        if not 0 < learning_rate <= 1 or not 0 <= discount <= 1:
            raise ValueError("learning_rate must be in (0, 1] and discount in [0, 1]")
        self.n_actions = n_actions
        self.learning_rate = learning_rate
        self.discount = discount
        self.step_reward = step_reward
        self.max_states = max_states
        self._rows: dict[tuple[int, ...], Array] = {}  # prefix -> array (2, n_actions)
        self.n_updates = 0

    def __len__(self) -> int:
        return len(self._rows)

    def values(self, prefix: tuple[int, ...]) -> Array:
        """``(Q_A + Q_B) / 2`` of every token after ``prefix`` (zeros when unseen)."""
        row = self._rows.get(prefix)
        return np.zeros(self.n_actions) if row is None else row.mean(axis=0)

    def _row(self, prefix: tuple[int, ...]) -> Array | None:
        row = self._rows.get(prefix)
        if row is None and len(self._rows) < self.max_states:
            row = self._rows[prefix] = np.zeros((2, self.n_actions))
        return row

    def update_trajectory(
        self,
        prefixes: Sequence[tuple[int, ...]],
        actions: Sequence[int],
        reward: float,
        rng: np.random.Generator,
    ) -> None:
        """Update along one finished expression: ``actions[t]`` was taken after ``prefixes[t]``.

        Last step first, so that the final reward reaches every earlier token in this pass.
        """
        coins = rng.random(len(actions))
        lr, gamma = self.learning_rate, self.discount
        for t in range(len(actions) - 1, -1, -1):
            row = self._row(prefixes[t])
            if row is None:
                continue
            a = actions[t]
            pick = 0 if coins[t] < 0.5 else 1  # the table updated this time
            if t == len(actions) - 1:
                target = reward
            else:
                nxt = self._rows.get(prefixes[t + 1])
                # double Q: the updated table chooses the next token, the other one values it
                future = 0.0 if nxt is None else float(nxt[1 - pick, int(np.argmax(nxt[pick]))])
                target = self.step_reward + gamma * future
            row[pick, a] += lr * (target - row[pick, a])
            self.n_updates += 1

    def learn(self, tokens: Sequence[int], reward: float, rng: np.random.Generator) -> None:
        """Replay a complete expression (e.g. one GP found) as if it had been built here."""
        tokens = list(tokens)
        prefixes = [tuple(tokens[:t]) for t in range(len(tokens))]
        self.update_trajectory(prefixes, tokens, reward, rng)

    def policy(
        self, prefix: tuple[int, ...], allowed: Sequence[int], prior: Array, mix: float, temperature: float
    ) -> Array:
        """Probabilities over ``allowed``: ``(1 - mix) * prior + mix * softmax(Q / temperature)``.

        An unseen prefix gives the prior alone.
        """
        row = self._rows.get(prefix)
        if row is None or mix <= 0:
            return prior / prior.sum()
        q = row[:, list(allowed)].mean(axis=0) / temperature
        soft = np.exp(q - q.max())
        soft /= soft.sum()
        base = prior / prior.sum()
        return (1.0 - mix) * base + mix * soft

    def reset(self) -> None:
        self._rows.clear()
