"""Polynomial continued fractions: evaluate, screen, identify, measure, cluster and search.

>>> from srkit.contfrac import PCF
>>> round(float(PCF("2*n+1", "n**2").limit(500)), 10)   # 4/pi
1.2732395447
"""

from srkit.contfrac.metrics import BlindMetrics, blind_metrics
from srkit.contfrac.pcf import PCF

__all__ = ["PCF", "BlindMetrics", "blind_metrics"]
