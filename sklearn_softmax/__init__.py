"""sklearn_softmax: linear softmax and multiclass-hinge classifiers for scikit-learn."""

from importlib.metadata import version

from . import metrics
from ._classifier import SoftmaxClassifier
from ._classifier_cv import SoftmaxClassifierCV
from ._path import SoftmaxPath, softmax_path

__all__ = ["SoftmaxClassifier", "SoftmaxClassifierCV", "SoftmaxPath", "metrics", "softmax_path"]
__version__ = version("sklearn_softmax")
