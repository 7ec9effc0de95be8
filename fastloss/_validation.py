"""Cheap input validation with scikit-learn's wording.

Only O(1) checks (types, shapes, dtypes) happen before a kernel runs.  Checks
that need a pass over the data (NaN/inf, ranges, labels) are fused into the
kernels, which report anomalies; :func:`raise_if_not_finite` and friends then
re-examine the inputs on that rare slow path to raise the precise error.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "InvalidParameterError",
    "as_ndarray",
    "WeightsSumToZeroError",
    "ZeroDenominatorError",
    "check_array_like",
    "as_float_array",
    "as_label_array",
    "check_consistent_length",
    "as_sample_weight",
    "raise_if_not_finite",
    "check_weight_stats",
]


class InvalidParameterError(ValueError, TypeError):
    """A parameter has the wrong type or value (as scikit-learn's error of that name)."""


class WeightsSumToZeroError(ZeroDivisionError, ValueError):
    """Output weights sum to zero: scikit-learn's ZeroDivisionError, also a ValueError."""


class ZeroDenominatorError(ZeroDivisionError, ValueError):
    """A score's denominator is zero where scikit-learn divides Python floats:
    its ZeroDivisionError, also a ValueError."""


def _is_array_like(value) -> bool:
    if isinstance(value, (str, bytes)) or value is None:
        return False
    if isinstance(value, numbers.Number) and not hasattr(value, "shape"):
        return False
    return hasattr(value, "__len__") or hasattr(value, "shape") or hasattr(value, "__array__")


def check_array_like(value, name: str, func: str, *, allow_none: bool = False):
    """Raise scikit-learn's ``InvalidParameterError`` unless ``value`` is array-like."""
    if value is None and allow_none:
        return
    if not _is_array_like(value):
        extra = " or None" if allow_none else ""
        raise InvalidParameterError(
            f"The {name!r} parameter of {func} must be an array-like{extra}. "
            f"Got {value!r} instead."
        )


def _extension_dtype(dtype) -> bool:
    # pandas' own dtypes (Float64, Int64, boolean, string, category...) are not
    # NumPy dtypes; tested without importing pandas, which fastloss never does.
    return dtype is not None and not isinstance(dtype, np.dtype)


def _dtypes(value) -> list:
    dtypes = getattr(value, "dtypes", None)
    if dtypes is not None and hasattr(dtypes, "__iter__") and not isinstance(dtypes, np.dtype):
        return list(dtypes)  # a DataFrame: one dtype per column
    return [getattr(value, "dtype", None)]


def _has_extension_dtype(value) -> bool:
    return not isinstance(value, np.ndarray) and any(_extension_dtype(d) for d in _dtypes(value))


def as_ndarray(value, *, extension_dtype=None) -> np.ndarray:
    """``value`` as a NumPy array: the one conversion every public input goes through.

    NumPy arrays pass through unchanged (no copy).  pandas objects with
    extension dtypes (nullable ``Float32``/``Float64``/``Int*``/``UInt*``/
    ``boolean``, as Series, DataFrame columns or ``pd.array``) become plain
    NumPy arrays: nullable numbers without missing values keep their NumPy
    dtype; with ``pd.NA`` they become floats (float32 stays float32, integers
    and booleans become float64) with NaN in its place, so that the NaN check
    reports them as scikit-learn does.  Other extension dtypes (strings,
    categoricals) become what ``np.asarray`` makes of them.

    ``extension_dtype``: the dtype nullable numbers become instead (pd.NA
    still as NaN), where scikit-learn's ``check_array`` picks it from a list
    of dtypes: it makes every extension dtype float64 there (``log_loss``'s
    probabilities).
    """
    if isinstance(value, np.ndarray):
        return value
    kinds = _dtypes(value)
    if not any(_extension_dtype(d) for d in kinds):
        return np.asarray(value)
    numeric = [getattr(d, "numpy_dtype", None) if _extension_dtype(d) else d for d in kinds]
    if numeric and all(isinstance(d, np.dtype) and d.kind in "biuf" for d in numeric):
        dtype = np.result_type(*numeric) if extension_dtype is None else np.dtype(extension_dtype)
        if bool(np.asarray(value.isna()).any()):
            if dtype.kind != "f":
                dtype = np.dtype(np.float64)
            return value.to_numpy(dtype=dtype, na_value=np.nan)
        return value.to_numpy(dtype=dtype)
    return np.asarray(value)


def _native(a: np.ndarray) -> np.ndarray:
    if not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder("="))
    return a


def as_float_array(
    value,
    *,
    max_ndim: int = 2,
    name: str | None = None,
    numeric: bool = False,
    extension_dtype=None,
) -> np.ndarray:
    """``value`` (through :func:`as_ndarray`) as a C-contiguous float32/float64 array.

    Checks shape and dtype.  float32 and float64 pass through without a copy
    (when contiguous and native-endian); every other numeric dtype becomes
    float64, as in scikit-learn's ``check_array``.  With ``numeric``, strings
    and bytes are refused as ``check_array(dtype="numeric")`` refuses them
    (otherwise they are parsed as numbers).  ``extension_dtype``: as in
    :func:`as_ndarray`.  NaN/inf are *not* checked here.
    """
    a = as_ndarray(value, extension_dtype=extension_dtype)
    kind = a.dtype.kind
    if kind == "c":
        raise ValueError(f"Complex data not supported\n{a}\n")
    if numeric and kind in "USV":
        raise ValueError(
            "dtype='numeric' is not compatible with arrays of bytes/strings."
            "Convert your data to numeric values explicitly instead."
        )
    if kind in "USO":
        # Same conversion (and error message) as scikit-learn's check_array:
        # of the input itself (a list's strings show as 'a', not np.str_('a')).
        a = np.asarray(a if _has_extension_dtype(value) else value, dtype=np.float64)
    elif kind != "f" or a.dtype.itemsize not in (4, 8):
        # Strings, objects, ints, bools, float16, datetimes: numpy's conversion
        # raises the same ValueError/TypeError as scikit-learn's check_array.
        a = a.astype(np.float64)
    a = _native(a)
    if a.ndim == 0:
        _num_samples(a)  # scikit-learn's TypeError for a 0-d input
    if a.ndim > max_ndim:
        raise ValueError(f"Found array with dim {a.ndim}, while dim <= {max_ndim} is required.")
    if a.shape[0] == 0:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={a.shape}) while a minimum of 1 is required."
        )
    if a.ndim == 2 and a.shape[1] == 0:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={a.shape}) while a minimum of 1 is required."
        )
    return np.ascontiguousarray(a)


def as_label_array(value) -> np.ndarray:
    """Labels as a native-endian, C-contiguous array.

    ``value`` goes through :func:`as_ndarray` first.  Numbers come out as
    int64, float32, float64 or (booleans) uint8; strings and objects pass
    through for :func:`numpy.unique` to encode.  uint64 labels beyond int64's
    range (rare) stay uint64, so that they keep their identity: callers
    encode them (float64 would merge neighbours and make them look
    continuous).
    """
    a = _native(as_ndarray(value))
    if a.dtype.kind == "b":
        a = a.view(np.uint8)
    elif a.dtype.kind in "iu" and a.dtype != np.int64:
        # Few label dtypes reach the kernels, so few specialisations compile.
        wide = a.dtype == np.uint64 and a.size and a.max() > np.iinfo(np.int64).max
        if not wide:
            a = a.astype(np.int64)
    elif a.dtype.kind == "f" and a.dtype.itemsize < 4:
        a = a.astype(np.float64)  # Numba has no float16
    return np.ascontiguousarray(a)


def _num_samples(a) -> int:
    shape = getattr(a, "shape", None)
    if shape is not None:
        if len(shape) == 0:
            raise TypeError(
                "Input should have at least 1 dimension i.e. satisfy "
                f"`len(x.shape) > 0`, got scalar `{a!r}` instead."
            )
        return int(shape[0])
    return len(a)


def check_consistent_length(*arrays) -> None:
    """scikit-learn's ``check_consistent_length`` (``None`` entries are skipped)."""
    lengths = [_num_samples(a) for a in arrays if a is not None]
    if len(set(lengths)) > 1:
        raise ValueError(
            "Found input variables with inconsistent numbers of samples: "
            f"{[int(n) for n in lengths]}"
        )


def as_sample_weight(sample_weight, n_samples: int, numeric: bool = False):
    """Validate ``sample_weight`` shape/dtype; returns float64 C-contiguous or None.

    Values (NaN, negative, all zero) are checked by :func:`check_weight_stats`
    from statistics the kernels compute in the same pass.  With ``numeric``,
    weights that are not numbers (strings of digits, say) raise ``TypeError``
    instead of being converted, as scikit-learn's ``log_loss`` refuses them.
    """
    if sample_weight is None:
        return None
    w = as_ndarray(sample_weight)
    if w.dtype.kind == "c":
        raise ValueError(f"Complex data not supported\n{w}\n")
    if numeric and w.dtype.kind not in "biuf":
        raise TypeError(f"sample_weight must hold numbers, got an array of dtype {w.dtype}.")
    if w.dtype != np.float64:
        w = w.astype(np.float64)
    w = np.ascontiguousarray(_native(w))
    if w.ndim != 1:
        raise ValueError(
            f"Sample weights must be 1D array or scalar, got {w.ndim}D array. Expected "
            f"either a scalar value or a 1D array of length {n_samples}."
        )
    if w.shape != (n_samples,):
        raise ValueError(f"sample_weight.shape == {w.shape}, expected {(n_samples,)}!")
    return w


def raise_if_not_finite(a: np.ndarray, input_name: str = "") -> None:
    """Raise scikit-learn's NaN/infinity error if ``a`` has a non-finite value."""
    a = np.asarray(a)
    if a.dtype.kind != "f":
        return
    finite = np.isfinite(a)
    if finite.all():
        return
    prefix = f"Input {input_name} contains" if input_name else "Input contains"
    if np.isnan(a[~finite]).any():
        raise ValueError(f"{prefix} NaN.")
    raise ValueError(f"{prefix} infinity or a value too large for {a.dtype!r}.")


def check_weight_stats(w, weight_sum: float, weight_min: float) -> None:
    """Errors for sample weights, given their sum and minimum (from a kernel)."""
    if w is None:
        return
    if not (np.isfinite(weight_sum) and np.isfinite(weight_min)):
        raise_if_not_finite(w, "sample_weight")
    if weight_min < 0:
        raise ValueError("Negative values in data passed to `sample_weight`.")
    if weight_sum == 0:
        raise ValueError("Sample weights must contain at least one non-zero number.")
