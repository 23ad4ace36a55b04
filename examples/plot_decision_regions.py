"""
Decision regions of each loss on a two-dimensional three-class problem
======================================================================

Fits ``SoftmaxClassifier`` with every loss on the same overlapping blobs and draws
where each predicts which class.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_blobs

from sklearn_softmax import SoftmaxClassifier

X, y = make_blobs(
    n_samples=300, centers=[[-2, 0], [2, 0], [0, 2.5]], cluster_std=1.3, random_state=0
)
configurations = {
    "cross-entropy": SoftmaxClassifier(),
    "hinge, Crammer-Singer": SoftmaxClassifier(loss="hinge"),
    "hinge, Weston-Watkins": SoftmaxClassifier(loss="hinge", multiclass_hinge="weston_watkins"),
    "squared hinge, Crammer-Singer": SoftmaxClassifier(loss="squared_hinge"),
}
grid_x, grid_y = np.meshgrid(np.linspace(-6, 6, 300), np.linspace(-4, 7, 300))
grid = np.column_stack([grid_x.ravel(), grid_y.ravel()])

names = ["class 0", "class 1", "class 2"]
colors = ["tab:blue", "tab:red", "tab:green"]
figure, axes = plt.subplots(1, 4, figsize=(16, 4.4), sharey=True)
for axis, (title, model) in zip(axes, configurations.items(), strict=True):
    model.fit(X, y)
    regions = model.predict(grid).reshape(grid_x.shape)
    axis.contourf(grid_x, grid_y, regions, levels=[-0.5, 0.5, 1.5, 2.5], colors=colors, alpha=0.2)
    for label, (name, color) in enumerate(zip(names, colors, strict=True)):
        points = X[y == label]
        axis.scatter(*points.T, color=color, s=12, edgecolors="k", linewidths=0.3, label=name)
    axis.set_title(f"{title}\ntraining accuracy {model.score(X, y):.3f}")
    axis.set_xlabel("feature x1")
axes[0].set_ylabel("feature x2")
axes[0].legend(title="true class (shaded: predicted)", loc="upper left", fontsize=8)
figure.suptitle("Decision regions of each loss: make_blobs, 300 samples, 3 overlapping classes")
figure.tight_layout()
plt.show()
