"""Linear models trained by compiled large-minibatch SGD (scikit-learn API).

Importing this module imports scikit-learn (for the estimator base classes);
``import fastloss`` alone does not.
"""

from ._stochastic_gradient import SGDClassifier, SGDRegressor

__all__ = ["SGDClassifier", "SGDRegressor"]
