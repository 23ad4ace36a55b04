"""sklearn_softmax: linear softmax and multiclass-hinge classifiers for scikit-learn."""

from . import metrics
from ._classifier import SoftmaxClassifier

__all__ = ["SoftmaxClassifier", "metrics"]
__version__ = "0.1.0"
