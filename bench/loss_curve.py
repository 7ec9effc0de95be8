"""Draw docs/sgd-loss-curve.png: SGDClassifier's training and validation loss
per epoch on a 10-class problem (200,000 x 100), with fastloss.plot_loss_curve.

    python bench/loss_curve.py [output.png]
"""

import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402

import fastloss  # noqa: E402
from fastloss.linear_model import SGDClassifier  # noqa: E402


def main(path="docs/sgd-loss-curve.png"):
    X, y = make_classification(
        200_000, 100, n_classes=10, n_informative=40, n_clusters_per_class=1, random_state=0
    )
    clf = SGDClassifier(loss="log_loss", early_stopping=True, max_iter=12, tol=None, random_state=0).fit(X, y)
    fig, ax = plt.subplots(figsize=(6, 3.6))
    fastloss.plot_loss_curve(clf, ax=ax)
    ax.set_title("SGDClassifier, 10 classes, 200,000 x 100 (log loss)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"wrote {path}: {len(clf.loss_curve_)} epochs, final validation loss "
          f"{clf.validation_loss_curve_[-1]:.4f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
