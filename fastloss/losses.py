"""Fused loss objects: ``loss``, ``gradient`` and ``loss_gradient`` in one pass."""

from ._losses._base import FusedLoss
from ._losses.absolute_error import MeanAbsoluteError
from ._losses.logistic import BinaryCrossEntropy
from ._losses.softmax import CrossEntropy
from ._losses.squared_error import MeanSquaredError
from ._registry import LOSSES

__all__ = [
    "FusedLoss",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "BinaryCrossEntropy",
    "CrossEntropy",
    "LOSSES",
]
