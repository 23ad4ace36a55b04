"""sklearn_softmax: linear softmax and multiclass-hinge classifiers for scikit-learn."""

from ._classifier import SoftmaxClassifier

__all__ = ["SoftmaxClassifier"]
__version__ = "0.1.0"
