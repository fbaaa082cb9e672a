"""Fitness: losses, the interpreter, the Evaluator, coefficient fitting, parallel maps."""

from srkit.fitness.coefficients import CoefficientFitter, snap_value
from srkit.fitness.evaluator import Evaluator, FitResult
from srkit.fitness.interpreter import interpret
from srkit.fitness.losses import LOSSES, get_loss, mae, mse, nmse, r2_score, rmse
from srkit.fitness.parallel import parallel_map

__all__ = [
    "CoefficientFitter", "snap_value", "Evaluator", "FitResult", "interpret", "LOSSES",
    "get_loss", "mae", "mse", "nmse", "r2_score", "rmse", "parallel_map",
]
