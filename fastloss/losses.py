"""Fused loss objects: ``loss``, ``gradient`` and ``loss_gradient`` in one pass."""

from ._losses._base import FusedLoss
from ._losses.absolute_error import MeanAbsoluteError
from ._losses.epsilon_insensitive import EpsilonInsensitive, SquaredEpsilonInsensitive
from ._losses.glm import HalfGamma, HalfPoisson, HalfTweedie
from ._losses.logistic import BinaryCrossEntropy
from ._losses.margin import Exponential, Hinge, ModifiedHuber, SquaredHinge
from ._losses.quantile import Pinball
from ._losses.robust import Huber, LogCosh
from ._losses.softmax import CrossEntropy
from ._losses.squared_error import MeanSquaredError
from ._registry import LOSSES

__all__ = [
    "FusedLoss",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "BinaryCrossEntropy",
    "CrossEntropy",
    "Huber",
    "Pinball",
    "HalfPoisson",
    "HalfGamma",
    "HalfTweedie",
    "Exponential",
    "Hinge",
    "SquaredHinge",
    "ModifiedHuber",
    "EpsilonInsensitive",
    "SquaredEpsilonInsensitive",
    "LogCosh",
    "LOSSES",
]
