"""warmup(): every kernel compiled (or loaded) ahead of the first real call.

Checked in fresh interpreters, where nothing has run a kernel yet.
"""

import os
import subprocess
import sys
import textwrap

import pytest

import fastloss

CHECK = textwrap.dedent(
    """
    import sys
    import fastloss
    from fastloss._registry import LOSSES
    from fastloss._warmup import _estimator_losses
    from fastloss.linear_model import SGDClassifier, SGDRegressor
    from fastloss.linear_model._epoch import epoch_kernel, epoch_kernel_csr

    def dtypes(kernel, args=slice(0, 2)):
        d = kernel.numba.dispatcher
        sigs = d.signatures if d is not None else []
        return {str(a.dtype) for s in sigs for a in s[args] if hasattr(a, "dtype")}

    # The estimators' losses from their own declarations (the registry's
    # trainable ones; aliases such as "perceptron" train a registered loss),
    # and multinomial, which the classifier trains on log_loss for 3 classes.
    ESTIMATOR_LOSSES = (set(_estimator_losses(SGDRegressor)) | set(_estimator_losses(SGDClassifier))
                        | {"multinomial"}) & set(LOSSES)
    assert {"squared_error", "absolute_error", "hinge", "poisson"} <= ESTIMATOR_LOSSES
    fastloss.warmup(dtypes=("float32", "float64"), estimators=ESTIMATORS)
    for cls in LOSSES.values():
        for kernel in vars(cls._kernels).values():
            assert {"float32", "float64"} <= dtypes(kernel), (cls.__name__, dtypes(kernel))
        if cls.name in ESTIMATOR_LOSSES:
            # (the dense epoch kernel's X follows tid, nthreads and the barrier's
            # three flags; the CSR one's data comes first)
            dense = dtypes(epoch_kernel(cls), slice(5, 6))
            csr = dtypes(epoch_kernel_csr(cls), slice(0, 1))
            print(cls.__name__, sorted(d for d in dense & csr if d.startswith("float")))
    """
)


def _run(code, **env):
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, **env}, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.split("\n")


# estimators=True also compiles every trainable loss's SGD loop (about a
# minute more): in the slow set, which CI runs.
@pytest.mark.parametrize("estimators", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_warmup_compiles_every_kernel(estimators):
    lines = [line for line in _run(CHECK.replace("ESTIMATORS", str(estimators))) if line]
    from fastloss._warmup import _estimator_losses
    from fastloss.linear_model import SGDClassifier, SGDRegressor

    # every loss's kernels checked; the estimators' losses printed
    from fastloss.losses import LOSSES

    # (losses other test modules registered with fastloss.pointwise_loss are
    # not in the fresh interpreter that ran the warmup)
    names = (set(_estimator_losses(SGDRegressor)) | set(_estimator_losses(SGDClassifier))) & set(LOSSES)
    builtin = {n for n in names if not getattr(LOSSES[n], "user_defined", False)}
    assert len(lines) == len(builtin | {"multinomial"})
    expected = "['float32', 'float64']" if estimators else "[]"
    assert all(line.endswith(expected) for line in lines), lines


@pytest.mark.parametrize("bad", ["float16", "int64", 3])
def test_warmup_rejects_other_dtypes(bad):
    with pytest.raises(ValueError, match="warmup dtypes must be among"):
        fastloss.warmup(dtypes=(bad,))


def test_warmup_on_the_numpy_backend_imports_no_numba():
    out = _run("import sys, fastloss\nfastloss.warmup()\nprint('numba' in sys.modules)",
               FASTLOSS_BACKEND="numpy")
    assert out[0] == "False"


FLOAT32_PATHS = textwrap.dedent(
    """
    from numba.core import event

    from fastloss._warmup import _run_group

    with event.install_recorder("numba:compile") as recorder:
        _run_group("all", "float64")  # every metric and loss, in this process
    names = {ev.data["dispatcher"].py_func.__name__ for _, ev in recorder.buffer}
    assert len(names) > 50, sorted(names)
    # Helpers in float32 arithmetic are named ...32 (exp_nonpos32, _modified_huber32).
    print(sorted(name for name in names if name.endswith("32")))
    """
)


@pytest.mark.slow
def test_float64_kernels_compile_no_float32_paths(tmp_path):
    """The float32 loops sit behind ``if single is not None`` (``_jit``'s
    float32 marker), which Numba prunes before typing a float64 kernel: a
    cold float64 compile of every kernel (a fresh cache, one process)
    compiles no float32 helper.  Tested through ``isinstance(x[0],
    np.float32)``, five of them were compiled for float64 and dropped only
    by LLVM."""
    lines = _run(FLOAT32_PATHS, FASTLOSS_CACHE_DIR=str(tmp_path))
    assert lines[-2] == "[]", lines[-2]
