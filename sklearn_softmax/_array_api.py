"""Which array namespace an input lives in, and moving arrays between it and the host.

Under scikit-learn's ``array_api_dispatch=True``, an input of another array-API
namespace than NumPy (PyTorch, CuPy, array-api-strict) is fitted and predicted where
it lives (:mod:`._array_api_data`); everything else (NumPy, lists, pandas, scipy
sparse, Dask) takes the NumPy path, as without dispatch. The solver's parameter
vector stays a float64 NumPy array on the host.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn import get_config
from sklearn.externals import array_api_compat
from sklearn.utils._array_api import (
    _convert_to_numpy,
    _is_numpy_namespace,
    _max_precision_float_dtype,
    get_namespace_and_device,
)

try:  # scikit-learn >= 1.9, whose LogisticRegression fits array-API inputs
    from sklearn.utils._array_api import check_same_namespace, move_to
except ImportError:  # older: inputs of other namespaces are refused (device_namespace)
    check_same_namespace = move_to = None

#: The oldest scikit-learn whose array-API helpers this module uses.
SKLEARN_FOR_ARRAY_API = "1.9"


class Namespace(NamedTuple):
    """An array-API namespace ``xp`` (scikit-learn's wrapper) and a ``device`` of it."""

    xp: object
    device: object

    def asarray(self, array, dtype=None):
        """``array`` (host or already here) on this device, in ``dtype``."""
        moved = move_to(array, xp=self.xp, device=self.device)
        return moved if dtype is None else self.xp.astype(moved, dtype, copy=False)

    @property
    def sum_dtype(self):
        """The widest float of the device (float64, or float32 where the device has
        no float64): the dtype of the sums of losses and weights."""
        return _max_precision_float_dtype(self.xp, self.device)


def device_namespace(X) -> Namespace | None:
    """The :class:`Namespace` of ``X`` if array-API dispatch is on and it is an array
    of a namespace other than NumPy; None otherwise (the NumPy path: NumPy arrays,
    lists, data frames, sparse matrices)."""
    if not get_config()["array_api_dispatch"]:
        return None
    if X is None or sp.issparse(X):
        return None
    xp, _, device = get_namespace_and_device(X)
    if _is_numpy_namespace(xp):
        return None
    if move_to is None:
        raise ImportError(
            f"Fitting {xp.__name__} arrays under array_api_dispatch=True needs "
            f"scikit-learn >= {SKLEARN_FOR_ARRAY_API}; pass NumPy arrays or upgrade it."
        )
    return Namespace(xp, device)


def to_numpy(array, dtype=None) -> np.ndarray:
    """``array`` of any namespace or device as a NumPy array on the host (with or
    without dispatch: a model fitted on a GPU is read back outside it too)."""
    if array is None:
        return None
    if not isinstance(array, np.ndarray) and array_api_compat.is_array_api_obj(array):
        array = _convert_to_numpy(array, array_api_compat.array_namespace(array))
    return np.asarray(array, dtype=dtype)


def check_fitted_namespace(X, estimator, method: str) -> None:
    """scikit-learn's error if ``X`` is not in the namespace and on the device of the
    estimator's ``coef_`` (under dispatch; ``method`` names the caller)."""
    if check_same_namespace is not None:
        check_same_namespace(X, estimator, attribute="coef_", method=method)


def on_host(array):
    """``array`` as NumPy if it is an array of another array-API namespace under
    dispatch (``y`` or ``sample_weight`` beside NumPy ``X``); anything else as given."""
    return array if device_namespace(array) is None else to_numpy(array)
