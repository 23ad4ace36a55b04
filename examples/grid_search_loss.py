"""
GridSearchCV over the loss type and C, scored with the library's scorers
========================================================================

Refits on the Crammer-Singer hinge score and also reports accuracy and
cross-entropy for every candidate (a hinge model has no probabilities: its
cross-entropy is not defined, and the search records NaN for it).
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_softmax import SoftmaxClassifier
from sklearn_softmax.metrics import neg_cross_entropy_scorer, neg_hinge_scorer

X, y = load_digits(return_X_y=True)
search = GridSearchCV(
    make_pipeline(StandardScaler(), SoftmaxClassifier()),
    {
        "softmaxclassifier__loss": ["cross_entropy", "hinge", "squared_hinge"],
        "softmaxclassifier__C": [0.01, 0.1, 1.0],
    },
    scoring={
        "hinge": neg_hinge_scorer,
        "cross_entropy": neg_cross_entropy_scorer,
        "accuracy": "accuracy",
    },
    refit="hinge",
    cv=3,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # the NaN cross-entropy of hinge models
    search.fit(X, y)

results = search.cv_results_
print(
    f"digits, 3-fold CV; best by the mean Crammer-Singer hinge: {search.best_params_}, "
    f"hinge {-search.best_score_:.4f}"
)
for params, hinge, accuracy in zip(
    results["params"], results["mean_test_hinge"], results["mean_test_accuracy"], strict=True
):
    print(f"  {params}  mean hinge {-hinge:.4f}  accuracy {accuracy:.2%}")

figure, axis = plt.subplots(figsize=(6.4, 4.2))
for loss in ["cross_entropy", "hinge", "squared_hinge"]:
    mask = np.array([p["softmaxclassifier__loss"] == loss for p in results["params"]])
    Cs = [p["softmaxclassifier__C"] for p in np.array(results["params"])[mask]]
    axis.semilogx(Cs, -results["mean_test_hinge"][mask], "o-", label=loss)
axis.set_xlabel("C (inverse penalty strength)")
axis.set_ylabel("mean Crammer-Singer hinge, 3-fold CV\n(lower is better)")
axis.set_title("digits (1797 x 64, 10 classes): GridSearchCV over the loss and C")
axis.legend(title="SoftmaxClassifier loss")
figure.tight_layout()
plt.show()
