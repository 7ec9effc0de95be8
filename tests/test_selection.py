"""The radix selection behind the quantile metrics equals scikit-learn's
sort-based quantiles (``np.median``, ``_weighted_percentile(average=True)``),
on both backends, at every size and with ties, zero weights and weights
that put the target exactly on a value."""

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.utils.stats import _weighted_percentile

import fastloss
from conftest import results_by_threads
from fastloss._losses import selection
from fastloss._metric_core import SELECTION_MIN_SAMPLES


def _kernel_quantile(y, p, w, mode=0, fraction=0.5):
    """The selection run directly (any size: below the one-shot path's sort threshold too)."""
    dtype = y.dtype if y.dtype == np.float32 else np.dtype(np.float64)

    def run_pass(level, prefix):
        return selection.KERNELS.select_pass(y.size, y, p, w, 0, mode, level, prefix)

    return selection.weighted_quantile(run_pass, fraction, float(np.finfo(dtype).eps), dtype)[0]


@st.composite
def _values(draw, min_n=1, max_n=80):
    n = draw(st.integers(min_n, max_n))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    y = rng.normal(size=(n, 1)) * draw(st.sampled_from([1e-3, 1.0, 1e6]))
    p = y + rng.normal(size=(n, 1)) * draw(st.sampled_from([1e-3, 1.0, 1e6]))
    if draw(st.booleans()):  # many ties
        y, p = np.round(y), np.round(p)
    kind = draw(st.sampled_from(["none", "ones", "ints", "ints_with_zeros", "uniform", "halves"]))
    w = {
        "none": None,
        "ones": np.ones(n),
        "ints": rng.integers(1, 4, size=n).astype(float),
        "ints_with_zeros": rng.integers(0, 3, size=n).astype(float),
        "uniform": rng.uniform(0, 2, size=n),
        "halves": np.full(n, 0.5),  # cumulative weights land exactly on the target
    }[kind]
    if w is not None and not (w > 0).any():
        w[0] = 1.0
    if draw(st.booleans()):
        y, p = y.astype(np.float32), p.astype(np.float32)
    return y, p, w


def _sklearn_quantile(v, w):
    return np.median(v) if w is None else _weighted_percentile(v, w, 50, average=True)


@settings(max_examples=300)
@given(case=_values())
def test_selection_equals_sklearn_sorting(backend, case):
    y, p, w = case
    ours = _kernel_quantile(y, p, w)
    theirs = _sklearn_quantile(np.abs(y - p)[:, 0], w)
    assert ours == theirs


@settings(max_examples=25, deadline=None)
@given(case=_values(SELECTION_MIN_SAMPLES, SELECTION_MIN_SAMPLES + 3000))
def test_median_absolute_error_large_equals_sklearn(backend, case):
    """Past the sort threshold: the selection path of the public function."""
    y, p, w = case
    for kwargs in ({"sample_weight": w}, {"sample_weight": w, "multioutput": "raw_values"}):
        ours = fastloss.median_absolute_error(y, p, **kwargs)
        theirs = skm.median_absolute_error(y, p, **kwargs)
        assert type(ours) is type(theirs) and np.array_equal(ours, theirs)
        if isinstance(theirs, np.ndarray):
            assert ours.dtype == theirs.dtype


@pytest.mark.parametrize("weighted", [False, True])
def test_median_same_on_any_thread_count(weighted, rng):
    n = 300_007
    y = rng.normal(size=(n, 2))
    p = y + rng.normal(size=(n, 2))
    w = rng.uniform(0.1, 2, size=n) if weighted else None
    runs = results_by_threads(
        lambda: fastloss.median_absolute_error(y, p, sample_weight=w, multioutput="raw_values"),
        (1, 2, 3),
    )
    assert np.array_equal(runs[1], runs[2]) and np.array_equal(runs[1], runs[3])
    theirs = skm.median_absolute_error(y, p, sample_weight=w, multioutput="raw_values")
    assert np.array_equal(runs[1], theirs)


def test_selection_reads_no_copy_of_the_data(rng):
    """The selection's memory is its histograms, whatever the size."""
    import tracemalloc

    n = 2_000_000
    y = rng.normal(size=n)
    p = y + rng.normal(size=n)
    w = rng.uniform(size=n)
    fastloss.median_absolute_error(y, p, sample_weight=w)
    tracemalloc.start()
    fastloss.median_absolute_error(y, p, sample_weight=w)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 8 * 2**20 < n * 8  # a few histograms of 65,536 buckets, not n values


def test_selection_below_the_target_never_rounds_past_it(backend):
    """A weight sum below the chosen bucket that rounds past the target made
    every deeper level empty (an infinite quantile, a NaN score)."""
    y = np.zeros(SELECTION_MIN_SAMPLES)
    w = np.zeros(SELECTION_MIN_SAMPLES)
    y[:3], w[:3] = [1.0, 4.1, 4.2], [0.1, 1.5, 1.5]
    alpha = 0.03225806451612904
    ours = fastloss.d2_pinball_score(y, y + 0.1, sample_weight=w, alpha=alpha)
    assert ours == skm.d2_pinball_score(y, y + 0.1, sample_weight=w, alpha=alpha)


def test_dask_few_rows_take_the_one_shot_path(backend):
    """Below the selection threshold a Dask input sorts, as the NumPy call does."""
    da = pytest.importorskip("dask.array")
    y = np.arange(10, dtype=np.float32)
    p = np.zeros(10, dtype=np.float32)
    w = np.full(10, 0.1)
    ours = fastloss.median_absolute_error(da.from_array(y, chunks=4), p, sample_weight=w)
    assert ours == fastloss.median_absolute_error(y, p, sample_weight=w)
    assert ours == skm.median_absolute_error(y, p, sample_weight=w)


def test_dask_d2_tweedie_checks_the_domain(backend, rng):
    da = pytest.importorskip("dask.array")
    y = np.exp(rng.normal(size=SELECTION_MIN_SAMPLES + 10))
    p = y * 1.1
    y[3] = -1.0
    for arr in (y, da.from_array(y, chunks=7000)):
        with pytest.raises(ValueError, match="power=1.5 can only be used on non-negative y"):
            fastloss.d2_tweedie_score(arr, p, power=1.5)


def _bracketed(v):
    """selection.bracketed_median on the values ``v`` (float64 or float32), as
    the one-shot path runs it: a strided sample, then the counting pass."""
    v2 = v.reshape(-1, 1)
    zeros = np.zeros_like(v2)
    n = v.shape[0]
    sample = np.abs(v[selection.sample_rows(n)]).astype(np.float64)

    def run_bracket(low, high, capacity):
        return selection.KERNELS.bracket_pass(n, v2, zeros, 0, low, high, capacity)

    dtype = v.dtype if v.dtype == np.float32 else np.dtype(np.float64)
    return selection.bracketed_median(sample, run_bracket, n, dtype)


@pytest.mark.parametrize(
    "order", ["random", "sorted", "reversed", "sample_positions_extreme", "ties"]
)
@pytest.mark.parametrize("n", [SELECTION_MIN_SAMPLES, SELECTION_MIN_SAMPLES + 1, 200_001])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bracketed_median_is_numpys_or_gives_way(backend, order, n, dtype):
    """The one-pass median equals np.median wherever it answers, and gives
    way (None) where its sample's bracket misses the median or overflows."""
    rng = np.random.default_rng(n)
    v = np.abs(rng.normal(size=n)).astype(dtype)
    if order == "sorted":
        v.sort()
    elif order == "reversed":
        v = np.sort(v)[::-1].copy()
    elif order == "ties":
        v = np.round(v * 2).astype(dtype)  # a handful of distinct values
    elif order == "sample_positions_extreme":
        # The strided sample reads only huge values: its bracket misses.
        v[selection.sample_rows(n)] = dtype(1e6)
    found = _bracketed(v)
    if order == "sample_positions_extreme":
        assert found is None
    elif order == "ties":
        assert found is None or found[0] == np.median(v)
    else:
        assert found is not None  # ordered data: a strided sample brackets it
        assert found == (np.median(v), 0)
    # The public function, whichever path it takes, is scikit-learn's.
    zeros = np.zeros_like(v)
    assert fastloss.median_absolute_error(v, zeros) == skm.median_absolute_error(v, zeros)


def test_bracketed_median_flags_values_not_finite(backend):
    v = np.abs(np.random.default_rng(3).normal(size=50_000))
    v[777] = np.nan  # not in the strided sample
    value, bad = _bracketed(v)
    assert np.isnan(value) and bad == 1
    with pytest.raises(ValueError, match="NaN"):
        fastloss.median_absolute_error(v, np.zeros_like(v))


def test_unweighted_median_takes_one_counting_pass(monkeypatch, rng):
    """On ordinary data the radix passes never run (one counting pass does it)."""
    n = 1_000_001
    y, p = rng.normal(size=n), rng.normal(size=n)

    def no_radix_pass(*args):
        raise AssertionError("radix pass")

    monkeypatch.setattr(selection.KERNELS, "select_pass", no_radix_pass)
    assert fastloss.median_absolute_error(y, p) == skm.median_absolute_error(y, p)
