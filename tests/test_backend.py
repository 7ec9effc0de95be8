"""Backend switching, the NumPy fallback and cheap imports."""

import json
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import fastloss


def run_python(code, **env):
    """Run ``code`` in a fresh interpreter; return its stdout (fails on error)."""
    full_env = {**os.environ, **env}
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_set_and_use_backend():
    start = fastloss.get_backend()
    with fastloss.use_backend("numpy"):
        assert fastloss.get_backend() == "numpy"
        with fastloss.use_backend("numba"):
            assert fastloss.get_backend() == "numba"
        assert fastloss.get_backend() == "numpy"
    assert fastloss.get_backend() == start
    try:
        fastloss.set_backend("numpy")
        assert fastloss.get_backend() == "numpy"
    finally:
        fastloss.set_backend("numba")
    assert fastloss.get_backend() == "numba"


@pytest.mark.parametrize("bad", ["cuda", "", None, 3])
def test_unknown_backend_rejected(bad):
    with pytest.raises(ValueError, match="Unknown fastloss backend"):
        fastloss.set_backend(bad)
    with pytest.raises(ValueError, match="Unknown fastloss backend"):
        with fastloss.use_backend(bad):
            pass


def test_use_backend_is_local_to_its_thread():
    seen = {}
    with fastloss.use_backend("numpy"):
        thread = threading.Thread(target=lambda: seen.setdefault("other", fastloss.get_backend()))
        thread.start()
        thread.join()
        assert fastloss.get_backend() == "numpy"
    assert seen["other"] == "numba"


def test_environment_variable_sets_default():
    out = run_python("import fastloss; print(fastloss.get_backend())", FASTLOSS_BACKEND="numpy")
    assert out == "numpy"
    out = run_python("import fastloss; print(fastloss.get_backend())", FASTLOSS_BACKEND="NUMBA")
    assert out == "numba"


def test_works_without_numba():
    out = run_python(
        """
        import sys, warnings
        sys.modules["numba"] = None  # makes "import numba" fail
        import numpy as np
        import fastloss
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            backend = fastloss.get_backend()
        assert backend == "numpy", backend
        assert any("NumPy backend" in str(w.message) for w in caught)
        rng = np.random.default_rng(0)
        y, p = rng.normal(size=100), rng.normal(size=100)
        from sklearn.metrics import mean_squared_error, log_loss
        assert abs(fastloss.mean_squared_error(y, p) - mean_squared_error(y, p)) < 1e-12
        yb, pb = rng.integers(0, 2, 100), rng.uniform(size=100)
        assert abs(fastloss.log_loss(yb, pb) - log_loss(yb, pb)) < 1e-12
        value, grad = fastloss.CrossEntropy().loss_gradient([0, 1], [[0.0, 1.0], [2.0, 0.0]])
        print("ok", "numba" in sys.modules and sys.modules["numba"] is not None)
        """
    )
    assert out == "ok False"


def test_import_is_light():
    out = run_python(
        """
        import sys
        import fastloss
        heavy = [m for m in ("sklearn", "numba", "llvmlite", "scipy") if m in sys.modules]
        print(heavy)
        """
    )
    assert out == "[]"


def test_backends_agree_on_random_inputs(rng):
    y = rng.normal(size=(5000, 3))
    p = rng.normal(size=(5000, 3))
    labels = rng.integers(0, 3, size=5000)
    results = {}
    for name in ("numba", "numpy"):
        with fastloss.use_backend(name):
            results[name] = (
                fastloss.mean_squared_error(y, p, multioutput="raw_values"),
                fastloss.mean_absolute_error(y, p, multioutput="raw_values"),
                fastloss.CrossEntropy().loss_gradient(labels, p)[0],
            )
    for a, b in zip(results["numba"], results["numpy"]):
        np.testing.assert_allclose(a, b, rtol=1e-13)


def test_cli_info():
    out = run_python("from fastloss.cli import main; main(['info'])")
    assert "fastloss" in out and "backend numba" in out


def test_kernels_defined_after_first_compilation_still_build(tmp_path):
    """A module imported after kernels first ran (e.g. a plug-in loss) compiles too."""
    module = tmp_path / "late_kernels.py"
    module.write_text(textwrap.dedent(
        """
        import numpy as np
        from fastloss._jit import Rows, jit
        from fastloss._mathfn import log_pos

        @jit(rows=Rows(args=(0,), merge="sum"))
        def sum_of_logs(x):
            total = 0.0
            for i in range(x.shape[0]):
                total += log_pos(x[i])
            return total
        """
    ))
    out = run_python(
        f"""
        import sys
        import numpy as np
        import fastloss
        fastloss.mean_squared_error([1.0, 2.0], [1.0, 3.0])   # builds the first kernels
        sys.path.insert(0, {str(tmp_path)!r})
        import late_kernels
        x = np.linspace(0.5, 2.0, 100_000)
        small, large = late_kernels.sum_of_logs(10, x[:10]), late_kernels.sum_of_logs(x.size, x)
        assert abs(large - np.log(x).sum()) < 1e-9 * abs(np.log(x).sum()), large
        assert abs(small - np.log(x[:10]).sum()) < 1e-12, small
        print("ok")
        """,
        NUMBA_CACHE_DIR=str(tmp_path / "cache"),
    )
    assert out == "ok"


HELPER_RUN = """
    import json
    import numpy as np
    import fastloss
    from fastloss import _jit, _mathfn

    if PLAIN_HELPERS:
        _jit._inline_only.append(None)  # as where Numba lacks the internals used
    rng = np.random.default_rng(0)
    y, raw = rng.normal(size=(2, 1000))
    loss = getattr(fastloss, LOSS)()
    value = loss.loss(y, raw)
    with fastloss.use_backend("numpy"):
        reference = loss.loss(y, raw)
    helper = _mathfn.total  # a helper every pointwise kernel calls (by now a dispatcher)
    print(json.dumps({
        "error": abs(value - reference) / abs(reference),
        "machine_code": [cres.library.codegen._engine.is_symbol_defined(cres.fndesc.mangled_name)
                         for cres in helper.overloads.values()],
        "cache_hits": sum(helper.stats.cache_hits.values()),
    }))
"""


def _helper_run(cache, loss, plain=False):
    code = HELPER_RUN.replace("PLAIN_HELPERS", str(plain)).replace("LOSS", repr(loss))
    return json.loads(run_python(code, FASTLOSS_CACHE_DIR=str(cache)).splitlines()[-1])


def test_helpers_compile_to_inlinable_ir_without_machine_code(tmp_path):
    """Kernels inline their helpers' IR; the helpers' own machine code was
    never run, and is no longer emitted (1.6 s of the 28 s of CPU a cold
    compile takes).  A second process loads the helpers from the disk cache
    (their IR) into a kernel of its own, and plain Numba helpers remain the
    fallback."""
    first = _helper_run(tmp_path / "cache", "Huber")
    assert first["error"] < 1e-12
    assert first["machine_code"] == [False]  # Numba emits it for every function it compiles
    assert first["cache_hits"] == 0

    second = _helper_run(tmp_path / "cache", "LogCosh")  # a new kernel, cached helpers
    assert second["error"] < 1e-12
    assert second["cache_hits"] == 1

    plain = _helper_run(tmp_path / "plain", "Huber", plain=True)
    assert plain["error"] < 1e-12
    assert plain["machine_code"] == [True]


def test_a_helper_making_python_objects_runs_inlined(tmp_path):
    """A helper's code may need its Numba environment (printing a value
    boxes it): set although the helper has no machine code, both where it
    was compiled and where it was loaded from the disk cache into a new
    kernel.  Unset, the kernel inlining it hung."""
    (tmp_path / "printing_kernels.py").write_text(textwrap.dedent(
        """
        from fastloss._jit import jit

        @jit(helper=True)
        def twice(x):
            return 2.0 * x

        @jit(helper=True)
        def shout(x):
            if x > 100.0:
                print("large value", x)
            return twice(x)  # a helper calling another: its cache entry sets both environments

        @jit()
        def first(x):
            return shout(x[0])

        @jit()
        def second(x):
            return shout(x[0]) + 1.0
        """
    ))
    code = textwrap.dedent(
        f"""
        import sys
        import numpy as np
        sys.path.insert(0, {str(tmp_path)!r})
        import printing_kernels
        print(getattr(printing_kernels, sys.argv[1])(1, np.array([200.0])))
        print(sum(printing_kernels.shout.stats.cache_hits.values()))  # shout: a dispatcher now
        """
    )
    env = {**os.environ, "FASTLOSS_CACHE_DIR": str(tmp_path / "cache")}
    outputs = []
    for kernel in ("first", "second"):  # the second loads the helper from the cache
        result = subprocess.run([sys.executable, "-c", code, kernel], capture_output=True,
                                text=True, env=env, timeout=120)
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout.split("\n"))
    assert outputs[0][:3] == ["large value 200.0", "400.0", "0"]
    assert outputs[1][:3] == ["large value 200.0", "401.0", "1"]
