"""Loss-curve plot for the SGD estimators (matplotlib is an optional extra)."""

from __future__ import annotations

__all__ = ["plot_loss_curve"]


def plot_loss_curve(estimator, ax=None):
    """Plot the training (and validation) loss per epoch of a fitted estimator.

    Parameters
    ----------
    estimator : SGDRegressor or SGDClassifier
        A fitted estimator (it has ``loss_curve_``).
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure is created when None.

    Returns
    -------
    matplotlib.axes.Axes
    """
    curve = getattr(estimator, "loss_curve_", None)
    if curve is None:
        raise ValueError(
            f"plot_loss_curve needs a fitted estimator with loss_curve_; "
            f"{type(estimator).__name__} has none (call fit first)."
        )
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "plot_loss_curve needs matplotlib: pip install 'fastloss[plot]'"
        ) from exc
    if ax is None:
        _, ax = plt.subplots()
    epochs = range(1, len(curve) + 1)
    ax.plot(epochs, curve, marker="o", label="training loss")
    validation = getattr(estimator, "validation_loss_curve_", None)
    if validation:
        ax.plot(range(1, len(validation) + 1), validation, marker="s", label="validation loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(f"{type(estimator).__name__} loss per epoch")
    ax.legend()
    return ax
