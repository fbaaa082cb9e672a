"""The ``dsn`` searcher: dynamic symbolic networks sampled by an RNN controller and
trained in torch (after DySymNet, Li et al., ICML 2024).

Modules: :mod:`.config` (DSNConfig), :mod:`.controller` (LSTM policy, risk-seeking
policy gradient), :mod:`.network` (batched symbolic networks, two-stage training),
:mod:`.extract` (network -> Expr), :mod:`.searcher` (the loop).  Importing this
package does not import torch; searching does.
"""

from srkit.search.dsn.config import DSNConfig
from srkit.search.dsn.searcher import DSNSearcher

__all__ = ["DSNConfig", "DSNSearcher"]
