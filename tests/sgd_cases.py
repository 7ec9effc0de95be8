"""What the SGD estimator tests share: the estimator checks they expect to
fail, and the loss an estimator trains for a loss name, read from the registry."""

from fastloss.losses import LOSSES

# Minibatch SGD visits the data in batches: a sample of weight 2 is not the
# same as two copies of it in two different minibatches, so fitting with
# integer weights differs (slightly) from fitting on repeated rows.
_MINIBATCH_WEIGHTS = (
    "minibatch SGD: weight 2 on a row is not the same as the row twice in two "
    "minibatches (scikit-learn's own SGD estimators fail it too)"
)
#: scikit-learn estimator checks the SGD estimators are expected to fail, and why.
EXPECTED_FAILED = {
    "check_sample_weight_equivalence_on_dense_data": _MINIBATCH_WEIGHTS,
    "check_sample_weight_equivalence_on_sparse_data": _MINIBATCH_WEIGHTS,
}


def trained_loss(name, epsilon=0.1):
    """The loss object ``SGD*(loss=name, epsilon=epsilon)`` trains: a registered
    name or an alias (its declared parameters), with the parameter ``epsilon``
    sets where the loss declares one."""
    for cls in LOSSES.values():
        aliases = cls.sgd.aliases if cls.sgd is not None else {}
        if cls.name == name or name in aliases:
            params = dict(aliases.get(name, {}))
            if cls.sgd is not None and cls.sgd.epsilon_param is not None:
                params[cls.sgd.epsilon_param] = epsilon
            return cls(**params)
    raise KeyError(name)
