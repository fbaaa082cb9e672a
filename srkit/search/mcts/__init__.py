"""The mcts searcher: Monte Carlo tree search with double Q-learning and modulated
sub-tree discovery, seeding GP (after RSRM, Xu et al., ICLR 2024).

- :mod:`~srkit.search.mcts.grammar`: token-by-token prefix building and its structural rules
- :mod:`~srkit.search.mcts.double_q`: the double Q tables over token prefixes
- :mod:`~srkit.search.mcts.tree`: the tree search that builds one expression
- :mod:`~srkit.search.mcts.subtree`: forms ``A + f``, ``A * f``, ``A ** f`` mined from the best
- term regression, ``A`` of the additive form in closed form, is the shared floor's
  :mod:`~srkit.search.floor.closed_form` (mcts adds the sub-trees of its best expressions)
- :mod:`~srkit.search.mcts.searcher`: the pipeline (:class:`MCTSSearcher`)
"""

from srkit.search.mcts.config import MCTSConfig
from srkit.search.mcts.double_q import DoubleQTable
from srkit.search.mcts.grammar import Grammar, Partial, StructureRules
from srkit.search.mcts.searcher import MCTSSearcher
from srkit.search.mcts.subtree import Form, mine_forms
from srkit.search.mcts.tree import TreeSearch

__all__ = [
    "MCTSConfig", "MCTSSearcher", "StructureRules", "Grammar", "Partial", "DoubleQTable",
    "TreeSearch", "Form", "mine_forms",
]
