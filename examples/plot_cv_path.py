"""
Choosing C by cross-validation for each loss with SoftmaxClassifierCV
=====================================================================

On the digits, each loss's path of 12 Cs is fitted in one warm-started sweep per
fold and scored by the loss itself (the default scoring: the penalty is chosen on
the model's own loss). Each panel shows the mean held-out loss against ``C``, the
spread over the 5 folds, and the chosen ``C_``.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

from sklearn_softmax import SoftmaxClassifierCV

X, y = load_digits(return_X_y=True)
X = X / 16.0  # pixel intensities in [0, 1]
configurations = {
    "cross-entropy": {"loss": "cross_entropy"},
    "hinge (Crammer-Singer)": {"loss": "hinge"},
    "squared hinge (Crammer-Singer)": {"loss": "squared_hinge"},
}

figure, axes = plt.subplots(1, 3, figsize=(14, 4.2))
for axis, (title, config) in zip(axes, configurations.items(), strict=True):
    start = time.perf_counter()
    model = SoftmaxClassifierCV(Cs=np.logspace(-3, 3, 12), **config).fit(X, y)
    seconds = time.perf_counter() - start
    losses = -model.scores_[:, 0, :]  # (folds, Cs): the held-out loss
    mean = losses.mean(axis=0)
    axis.semilogx(model.Cs_, mean, "o-", ms=4, label="mean over 5 folds")
    axis.fill_between(
        model.Cs_, losses.min(axis=0), losses.max(axis=0), alpha=0.2, label="fold range"
    )
    best = np.flatnonzero(model.Cs_ == model.C_)[0]
    axis.plot(model.C_, mean[best], "r*", ms=14, label=f"chosen C_ = {model.C_:.3g}")
    axis.set_xlabel("C (inverse penalty strength)")
    axis.set_ylabel(f"held-out {title.split(' (')[0]} per sample")
    axis.set_title(f"{title}\n{model.n_iter_.sum()} L-BFGS iterations, {seconds:.1f} s")
    axis.legend(fontsize=8)
    print(
        f"{title}: C_ = {model.C_:.3g}, mean held-out loss {mean[best]:.4f} per sample, "
        f"{model.n_iter_.sum()} L-BFGS iterations over 5 folds x 12 Cs, {seconds:.1f} s"
    )
figure.suptitle("digits (1797 x 64, 10 classes): 5-fold cross-validation of C for each loss")
figure.tight_layout()
plt.show()
