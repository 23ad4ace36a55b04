"""numpydoc validation of the public API, with the checks scikit-learn enforces on its own.

scikit-learn's ``test_docstrings.py`` runs ``numpydoc.validate`` on every public
estimator method and function and ignores: RT02 (the Returns line may name the
value), GL01 and GL02 (blank-line placement); for methods, ES01, SA01 and EX01
(extended summary, See Also and Examples are asked of the class and functions only).
"""

import inspect

import pytest

from sklearn_softmax import SoftmaxClassifier, SoftmaxClassifierCV, metrics

numpydoc_validation = pytest.importorskip(
    "numpydoc.validate", reason='numpydoc is absent: pip install -e ".[test]"'
)

IGNORED = {"RT02", "GL01", "GL02"}
IGNORED_FOR_METHODS = {"ES01", "SA01", "EX01"}


def public_methods(cls):
    return [
        name
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_") and (inspect.isfunction(member) or isinstance(member, property))
    ]


def public_objects():
    """Import paths of what a user calls: the estimator, its methods, the metrics and
    the scorers' methods."""
    for cls in (SoftmaxClassifier, SoftmaxClassifierCV):
        yield f"sklearn_softmax.{cls.__name__}"
        for name in public_methods(cls):
            yield f"sklearn_softmax.{cls.__name__}.{name}"
    yield "sklearn_softmax.softmax_path"
    for name in ("cross_entropy_loss", "multiclass_hinge_loss", "loss_scorer"):
        yield f"sklearn_softmax.metrics.{name}"
    scorer = type(metrics.neg_cross_entropy_scorer)
    path = f"{scorer.__module__}.{scorer.__name__}"
    yield path
    for name in ("__call__", "set_score_request", "get_metadata_routing"):
        yield f"{path}.{name}"


def errors_of(import_path):
    is_method = import_path.count(".") > 2 or (
        import_path.startswith(
            ("sklearn_softmax.SoftmaxClassifier.", "sklearn_softmax.SoftmaxClassifierCV.")
        )
    )
    for code, message in numpydoc_validation.validate(import_path)["errors"]:
        if code in IGNORED or (is_method and code in IGNORED_FOR_METHODS):
            continue
        yield f"{code}: {message}"


@pytest.mark.parametrize("import_path", list(public_objects()))
def test_docstring(import_path):
    errors = list(errors_of(import_path))
    assert not errors, f"{import_path}:\n" + "\n".join(errors)
