"""
L1 regularization path: coefficients against ``C`` on the breast-cancer data
============================================================================

``SoftmaxClassifier(l1_ratio=1)`` fits ``C sum_i loss_i + ||w||_1``: a strong penalty
(small ``C``) keeps few features, with every other coefficient exactly zero. The
path is swept from the strongest penalty to the weakest, each fit warm-started from
the previous one. Left: each standardized feature's coefficient against ``C``;
right: the number of non-zero coefficients and the cross-validated accuracy.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_softmax import SoftmaxClassifier

X_raw, y = load_breast_cancer(return_X_y=True)
X = StandardScaler().fit_transform(X_raw)
Cs = np.logspace(-3, 1, 40)

model = SoftmaxClassifier(l1_ratio=1.0, warm_start=True)
coefs, nonzeros = [], []
for C in Cs:
    model.set_params(C=C).fit(X, y)
    coefs.append(model.coef_[0].copy())
    nonzeros.append(np.count_nonzero(model.coef_))  # exact zeros: no threshold needed
coefs = np.array(coefs)


def cv_accuracy(C: float) -> float:
    """5-fold accuracy, the scaler fitted inside each fold."""
    pipeline = make_pipeline(StandardScaler(), SoftmaxClassifier(C=C, l1_ratio=1.0))
    return cross_val_score(pipeline, X_raw, y).mean()


accuracy = [cv_accuracy(C) for C in Cs[::4]]

figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
left.semilogx(Cs, coefs, linewidth=1)
left.set_xlabel("C (inverse penalty strength)")
left.set_ylabel("coefficient of each standardized feature")
left.set_title("L1 path of SoftmaxClassifier(l1_ratio=1)")
right.semilogx(Cs, nonzeros, "o-", markersize=3, label="non-zero coefficients")
right.set_xlabel("C (inverse penalty strength)")
right.set_ylabel(f"non-zero coefficients (of {X.shape[1]})")
twin = right.twinx()
twin.semilogx(Cs[::4], accuracy, "s--", color="tab:red", label="5-fold CV accuracy")
twin.set_ylabel("cross-validated accuracy", color="tab:red")
right.set_title("Sparsity and accuracy along the path")
figure.tight_layout()
print(f"{nonzeros[0]} non-zero coefficients at C={Cs[0]:.0e}, {nonzeros[-1]} at C={Cs[-1]:.0e}")
plt.show()
