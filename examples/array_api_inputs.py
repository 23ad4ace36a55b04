"""
Fit arrays of another library (PyTorch, CuPy) where they live
=============================================================

Under scikit-learn's ``array_api_dispatch=True``, :class:`~sklearn_softmax.SoftmaxClassifier`
fits the arrays of any array-API library on their device: the scores, the loss and
the gradient are computed there, and only the ``K x (d + 1)`` parameters travel to
scipy's L-BFGS on the host. The fitted ``coef_`` and ``intercept_`` are arrays of the
same library on the same device, and predictions come back there too.

This example uses array-api-strict, the strict reference library that runs anywhere,
and PyTorch's CPU tensors when PyTorch is installed: with ``device="cuda"`` the code
is the same. scikit-learn's dispatch needs ``SCIPY_ARRAY_API=1`` in the environment
before scipy is first imported; the first lines set it for this script.
"""

import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")  # before scipy is imported

import importlib.util

import array_api_strict
import numpy as np
import sklearn
from sklearn.datasets import load_digits

from sklearn_softmax import SoftmaxClassifier
from sklearn_softmax.metrics import cross_entropy_loss

X, y = load_digits(return_X_y=True)
X = X / 16.0
reference = SoftmaxClassifier(C=10.0).fit(X, y)

libraries = [array_api_strict]
if importlib.util.find_spec("torch") is not None:
    import torch

    libraries.append(torch)

for xp in libraries:
    X_xp, y_xp = xp.asarray(X), xp.asarray(y)
    with sklearn.config_context(array_api_dispatch=True):
        model = SoftmaxClassifier(C=10.0).fit(X_xp, y_xp)
        proba = model.predict_proba(X_xp)  # an array of xp, on X's device
        loss = cross_entropy_loss(y_xp, proba)
    coef = np.asarray(model.coef_)
    print(
        f"{xp.__name__}: coef_ is {type(model.coef_).__module__}.{type(model.coef_).__name__}, "
        f"{model.n_iter_} iterations (NumPy: {reference.n_iter_}), "
        f"largest weight difference from the NumPy fit {np.abs(coef - reference.coef_).max():.1e}, "
        f"training cross-entropy {loss:.4f}"
    )
