"""Polynomial continued fractions: evaluate, screen, identify, measure, cluster and search.

``a(0) + b(1)/(a(1) + b(2)/(a(2) + ...))`` with a(n) from n = 0 and b(n) from n = 1.

>>> from srkit.contfrac import PCF, identify
>>> pcf = PCF("2*n+1", "n**2")
>>> round(float(pcf.limit(500)), 10), str(identify(pcf.limit(500)))
(1.2732395447, '4/pi')
"""

from srkit.contfrac.box import CoefficientBox
from srkit.contfrac.constants import CONSTANTS, Constant
from srkit.contfrac.identification import MoebiusTable, Relation, identify, verify_pcf
from srkit.contfrac.metrics import BlindMetrics, blind_metrics
from srkit.contfrac.pcf import PCF, UndefinedConvergentError
from srkit.contfrac.polynomials import MAX_DEGREE, MAX_DIGITS, PolynomialSizeError
from srkit.contfrac.screen import ScreenResult, screen, screen_box
from srkit.contfrac.search import CFSearchResult, SearchConfig, blind_search

__all__ = [
    "PCF", "identify", "Relation", "MoebiusTable", "verify_pcf", "BlindMetrics", "blind_metrics",
    "CoefficientBox", "ScreenResult", "screen", "screen_box", "SearchConfig", "CFSearchResult", "blind_search",
    "CONSTANTS", "Constant", "UndefinedConvergentError", "PolynomialSizeError", "MAX_DEGREE", "MAX_DIGITS",
]
