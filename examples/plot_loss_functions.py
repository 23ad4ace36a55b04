"""
The losses as functions of the margin, the picture the loss-function tutorials draw
===================================================================================

For one sample, write ``m = z_y - max_{k != y} z_k`` (the margin of the true class over
the best other one). With the other scores tied, every loss of ``sklearn_softmax`` is a
function of ``m`` alone; the zero-one loss ``1[m <= 0]`` is what they all bound.
Computed with the library's own metrics on three classes.
"""

import matplotlib.pyplot as plt
import numpy as np
from scipy.special import softmax

from sklearn_softmax.metrics import cross_entropy_loss, multiclass_hinge_loss

margins = np.linspace(-3, 3, 601)
n_classes = 3
# True class 0 with score m; the two other classes tied at 0.
scores = np.column_stack([margins, np.zeros_like(margins), np.zeros_like(margins)])
y = np.zeros(len(margins), dtype=int)
labels = list(range(n_classes))


def per_sample(metric, *args, **kwargs):
    return np.array(
        [
            metric(y[i : i + 1], args[0][i : i + 1], labels=labels, **kwargs)
            for i in range(len(margins))
        ]
    )


curves = {
    "cross-entropy (softmax)": per_sample(cross_entropy_loss, softmax(scores, axis=1)),
    "hinge, Crammer-Singer": per_sample(multiclass_hinge_loss, scores),
    "hinge, Weston-Watkins": per_sample(multiclass_hinge_loss, scores, variant="weston_watkins"),
    "squared hinge, Crammer-Singer": per_sample(multiclass_hinge_loss, scores, squared=True),
}

figure, axis = plt.subplots(figsize=(6.4, 4.2))
for label, values in curves.items():
    axis.plot(margins, values, label=label)
axis.plot(margins, (margins <= 0).astype(float), "k:", label="zero-one")
axis.set_xlabel("margin  z_y - max_{k != y} z_k  (other scores tied)")
axis.set_ylabel("loss")
axis.set_ylim(0, 5)
axis.legend()
axis.set_title("Losses of sklearn_softmax, three classes")
figure.tight_layout()
plt.show()
