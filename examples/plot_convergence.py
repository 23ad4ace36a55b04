"""
Convergence curves (``loss_curve_``) with and without feature scaling
=====================================================================

Raw measurements come with their own units and offsets; here the digits, each pixel
given its own scale and offset. ``SoftmaxClassifier`` solves the problem in exactly
reparametrized (centered, scaled) coordinates, so L-BFGS needs a few times as
many iterations on the raw features as on standardized ones, not hundreds of times
(left; two different problems, since the penalty acts on different weights, each
drawn against its own optimum). On the raw features, ``LogisticRegression`` solves the same problem
without the reparametrization (right; its objective after ``max_iter=k``
iterations, refitted for each ``k``).
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sklearn_softmax import SoftmaxClassifier
from sklearn_softmax.metrics import cross_entropy_loss

C = 0.1
X, y = load_digits(return_X_y=True)
rng = np.random.default_rng(0)
raw = X * rng.uniform(0.5, 3, X.shape[1]) + rng.uniform(100, 1000, X.shape[1])  # raw units
features = {"raw features": raw, "standardized features": StandardScaler().fit_transform(raw)}


def objective(model, X):
    """``J / (C n)``: mean cross-entropy plus the penalty, as in ``loss_curve_``."""
    penalty = 0.5 * np.sum(model.coef_**2) / (C * len(y))
    return cross_entropy_loss(y, model.predict_proba(X)) + penalty


figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
models = {}
for name, data in features.items():
    model = models[name] = SoftmaxClassifier(C=C).fit(data, y)
    curve = np.array(model.loss_curve_)
    left.semilogy(
        np.arange(1, len(curve) + 1),
        curve - curve[-1] + 1e-9,
        label=f"{name} ({model.n_iter_} iterations)",
    )
    print(
        f"SoftmaxClassifier, {name}: {model.n_iter_} L-BFGS iterations, "
        f"objective J / (C n) = {curve[-1]:.6f} nats per sample"
    )
left.set_xlabel("L-BFGS iteration")
left.set_ylabel("objective - final objective (nats per sample)")
left.set_title("SoftmaxClassifier.loss_curve_")
left.legend()

optimum = objective(models["raw features"], raw)
steps = np.unique(np.geomspace(1, 1000, 10).astype(int))
gaps = []
# One BLAS thread: on data this small, threads only contend (iterations are what we count).
with warnings.catch_warnings(), threadpool_limits(1):
    warnings.simplefilter("ignore", ConvergenceWarning)  # stopped at max_iter=k on purpose
    for k in steps:
        lr = LogisticRegression(C=C, max_iter=int(k), tol=1e-12).fit(raw, y)
        gaps.append(objective(lr, raw) - optimum)
print(
    f"LogisticRegression, raw features: objective J / (C n) = {optimum + gaps[-1]:.6f} "
    f"nats per sample after max_iter={steps[-1]} L-BFGS iterations"
)
curve = np.array(models["raw features"].loss_curve_)
right.loglog(np.arange(1, len(curve) + 1), curve - optimum + 1e-9, label="SoftmaxClassifier")
right.loglog(steps, np.maximum(gaps, 1e-9), "o-", ms=3, label="LogisticRegression(lbfgs)")
right.set_xlabel("L-BFGS iteration")
right.set_ylabel("objective - SoftmaxClassifier's final\n(nats per sample)")
right.set_title("the same problem on raw features")
right.legend()
figure.suptitle(
    f"digits (1797 x 64, 10 classes), each pixel given a random scale and offset; C = {C}"
)
figure.tight_layout()
plt.show()
