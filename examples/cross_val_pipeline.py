"""
cross_val_score with the library's scorers on a pipeline, for several classifiers
=================================================================================

Any classifier with predict_proba or decision_function can be scored by the
cross-entropy and hinge scorers; their labels come from the fitted estimator, so
folds that lack a class still get a finite score.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_softmax import SoftmaxClassifier
from sklearn_softmax.metrics import neg_cross_entropy_scorer, neg_hinge_scorer

X, y = load_wine(return_X_y=True)
classifiers = {
    "SoftmaxClassifier": SoftmaxClassifier(),
    "SoftmaxClassifier(label_smoothing=0.1)": SoftmaxClassifier(label_smoothing=0.1),
    "LogisticRegression": LogisticRegression(),
}
scores = {}
for name, classifier in classifiers.items():
    pipeline = make_pipeline(StandardScaler(), classifier)
    scores[name] = {
        "cross-entropy": -cross_val_score(pipeline, X, y, cv=5, scoring=neg_cross_entropy_scorer),
        "hinge": -cross_val_score(pipeline, X, y, cv=5, scoring=neg_hinge_scorer),
    }
    print(
        f"{name:40s} cross-entropy {scores[name]['cross-entropy'].mean():.4f}"
        f"  hinge {scores[name]['hinge'].mean():.4f}"
    )

figure, axes = plt.subplots(1, 2, figsize=(10, 3.8))
for axis, metric in zip(axes, ["cross-entropy", "hinge"], strict=True):
    names = list(scores)
    axis.barh(
        names,
        [scores[n][metric].mean() for n in names],
        xerr=[scores[n][metric].std() for n in names],
    )
    axis.set_xlabel(f"5-fold {metric} (lower is better)")
figure.tight_layout()
plt.show()
