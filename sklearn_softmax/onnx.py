"""ONNX export of fitted models, through skl2onnx (``pip install "sklearn_softmax[onnx]"``).

Importing this module registers a parser, a shape calculator and a converter for
:class:`~sklearn_softmax.SoftmaxClassifier` and
:class:`~sklearn_softmax.SoftmaxClassifierCV` with skl2onnx, so that
``skl2onnx.to_onnx(pipeline, X_sample)`` converts any pipeline that ends in one of
them; :func:`to_onnx` converts a bare model.

The graph computes the scores ``z = X W^T + b`` (``MatMul``, ``Add``) in the input's
dtype (float32 by default, float64 for a float64 sample) and has two outputs, as
skl2onnx gives scikit-learn's linear classifiers:

- ``label``, shape ``(n,)``: ``classes_[argmax z]`` (two classes: ``classes_[z > 0]``),
  a string tensor for text labels, int64 for integer labels;
- ``probabilities``, shape ``(n, K)`` for cross-entropy (``softmax(z)``; two classes:
  ``[1 - sigmoid(z), sigmoid(z)]``, as for ``LogisticRegression``), or the decision
  scores for the hinges, shape ``(n, K)`` and ``(n, 1)`` for two classes (as for
  ``LinearSVC``). Option ``zipmap`` (cross-entropy, float32 only) turns the
  probabilities into skl2onnx's ZipMap (a list of ``{label: probability}``): off in
  :func:`to_onnx`, on by default in ``skl2onnx.to_onnx``, as for its classifiers.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from onnx import TensorProto
from skl2onnx import to_onnx as _skl2onnx_to_onnx
from skl2onnx import update_registered_converter
from skl2onnx.common.data_types import (
    DoubleTensorType,
    Int64TensorType,
    StringTensorType,
    guess_proto_type,
)
from sklearn.utils.validation import check_is_fitted

from ._array_api import to_numpy
from ._classifier import SoftmaxClassifier
from ._classifier_cv import SoftmaxClassifierCV

__all__ = ["label_type", "to_onnx"]

#: The estimators this module converts, by their skl2onnx alias.
ALIASES = {
    SoftmaxClassifier: "SklearnSoftmaxClassifier",
    SoftmaxClassifierCV: "SklearnSoftmaxClassifierCV",
}
#: The options the converter takes, and their allowed values (``nocl``, no class
#: labels, is asked by skl2onnx's pipeline parser; only its default is supported).
OPTIONS = {"zipmap": [False, True, "columns"], "nocl": [False]}


def label_type(classes: np.ndarray):
    """The skl2onnx tensor type of the labels ``classes`` (its class, unsized):
    strings, or int64 for integers (and integral reals, which scikit-learn's
    classifiers take; others it refuses as continuous). Booleans and mixed objects
    raise ``ValueError``: an int64 tensor would not give them back exactly."""
    classes = to_numpy(classes)
    if classes.dtype.kind == "b":
        raise ValueError(
            "boolean class labels have no exact ONNX label tensor here: "
            "fit on 0/1 or on strings instead"
        )
    if classes.dtype.kind in "iu":
        return Int64TensorType
    if classes.dtype.kind == "f":  # scikit-learn refuses other real labels at fit
        if np.all(classes == np.round(classes)):
            return Int64TensorType
        raise ValueError(f"class labels {classes[:3].tolist()}... are not integers")
    if all(isinstance(label, str) for label in classes.tolist()):
        return StringTensorType
    raise ValueError(
        f"class labels of dtype {classes.dtype} mixing types cannot be an ONNX label tensor"
    )


def _checked(model):
    """``model``, fitted, with labels an ONNX tensor can hold; else a clear error."""
    check_is_fitted(model)
    label_type(model.classes_)
    return model


def _n_outputs(model) -> int:
    """Columns of the second output: K probabilities or scores, 1 score for a binary
    hinge model."""
    K = to_numpy(model.classes_).size
    return 1 if K == 2 and model.loss != "cross_entropy" else K


def _parser(scope, model, inputs, custom_parsers=None):
    """Declare the operator and its outputs ``label`` and ``probabilities``."""
    _checked(model)
    # skl2onnx's own to_onnx asks for ZipMap by default: it applies to probabilities;
    # the hinges' scores stay a tensor, as LinearSVC's do.
    options = scope.get_options(model, {"zipmap": False})
    zipmap = options["zipmap"] if model.loss == "cross_entropy" else False
    if zipmap and isinstance(inputs[0].type, DoubleTensorType):
        raise ValueError(
            "ZipMap takes float32 probabilities: convert with a float32 sample, or with "
            "the option zipmap=False (skl2onnx: options={id(model): {'zipmap': False}})"
        )
    operator = scope.declare_local_operator(ALIASES[type(model)], model)
    operator.inputs = inputs
    label = scope.declare_local_variable("label", label_type(model.classes_)())
    second = scope.declare_local_variable("probabilities", inputs[0].type.__class__())
    operator.outputs.extend([label, second])
    if zipmap:
        from skl2onnx._parse import _apply_zipmap

        return _apply_zipmap(zipmap, scope, model, inputs[0].type, operator.outputs)
    return list(operator.outputs)


def _shape_calculator(operator) -> None:
    """Shapes ``(n,)`` and ``(n, C)``; the second output in the input's dtype."""
    model = operator.raw_operator
    n = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = label_type(model.classes_)([n])
    operator.outputs[1].type = operator.inputs[0].type.__class__([n, _n_outputs(model)])


def _constant(scope, container, name: str, values: np.ndarray, proto) -> str:
    """An initializer of ``values``; its unique name."""
    unique = scope.get_unique_variable_name(name)
    values = np.asarray(values)
    flat = values.ravel()
    if proto == TensorProto.STRING:
        flat = [str(value).encode("utf-8") for value in flat.tolist()]
    container.add_initializer(unique, proto, list(values.shape), flat)
    return unique


def _node(scope, container, op: str, inputs, output: str | None = None, **attributes) -> str:
    """Add an ``op`` node; its output's name (a new one unless ``output`` is given)."""
    output = output or scope.get_unique_variable_name(op.lower())
    container.add_node(op, inputs, [output], name=scope.get_unique_operator_name(op), **attributes)
    return output


def _converter(scope, operator, container) -> None:
    """The scores, the labels and the probabilities (or scores) of the model."""
    model = operator.raw_operator
    X = operator.inputs[0].full_name
    proto = guess_proto_type(operator.inputs[0].type)
    dtype = np.float32 if proto == TensorProto.FLOAT else np.float64
    # (a model fitted on a device: its arrays read to the host)
    coef = model.coef_.toarray() if sp.issparse(model.coef_) else to_numpy(model.coef_)
    W = _constant(scope, container, "coef", coef.T.astype(dtype), proto)
    b = _constant(scope, container, "intercept", to_numpy(model.intercept_, dtype), proto)
    scores = _node(scope, container, "Add", [_node(scope, container, "MatMul", [X, W]), b])
    label_out, second_out = operator.outputs[0].full_name, operator.outputs[1].full_name
    binary = to_numpy(model.classes_).size == 2
    if binary:  # class 1 where z > 0, as predict
        zero = _constant(scope, container, "zero", np.zeros(1, dtype), proto)
        positive = _node(scope, container, "Greater", [scores, zero])
        index = _node(scope, container, "Cast", [positive], to=TensorProto.INT64)
    else:
        index = _node(scope, container, "ArgMax", [scores], axis=1, keepdims=1)
    flat = _node(
        scope,
        container,
        "Reshape",
        [index, _constant(scope, container, "shape", np.array([-1]), TensorProto.INT64)],
    )
    classes = to_numpy(model.classes_)
    if label_type(classes) is StringTensorType:
        table = _constant(scope, container, "classes", classes.astype(str), TensorProto.STRING)
    else:
        table = _constant(scope, container, "classes", classes.astype(np.int64), TensorProto.INT64)
    _node(scope, container, "Gather", [table, flat], output=label_out, axis=0)
    if model.loss != "cross_entropy":
        _node(scope, container, "Identity", [scores], output=second_out)
    elif binary:
        p1 = _node(scope, container, "Sigmoid", [scores])
        one = _constant(scope, container, "one", np.ones(1, dtype), proto)
        p0 = _node(scope, container, "Sub", [one, p1])
        _node(scope, container, "Concat", [p0, p1], output=second_out, axis=1)
    else:
        _node(scope, container, "Softmax", [scores], output=second_out, axis=1)


def register() -> None:
    """Register the models with skl2onnx (done on import of this module)."""
    for estimator, alias in ALIASES.items():
        update_registered_converter(
            estimator,
            alias,
            _shape_calculator,
            _converter,
            parser=_parser,
            options=OPTIONS,
        )


def to_onnx(model, X_sample, *, zipmap: bool | str = False, target_opset: int | None = None):
    """The ONNX graph (an ``onnx.ModelProto``) of a fitted model or of a pipeline
    ending in one.

    Parameters
    ----------
    model : SoftmaxClassifier, SoftmaxClassifierCV or Pipeline
        Fitted.
    X_sample : ndarray of shape (n_samples, n_features)
        Input rows whose dtype sets the graph's: float32 (the default of ONNX
        runtimes) or float64.
    zipmap : bool or "columns", default=False
        Cross-entropy only: the probabilities as skl2onnx's ZipMap instead of a tensor.
    target_opset : int, default=None
        The ONNX opset; None: skl2onnx's newest.

    Returns
    -------
    onnx.ModelProto
        Inputs ``X``; outputs ``label`` and ``probabilities`` (see the module).
    """
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    if type(final) in ALIASES:
        _checked(final)
        if zipmap and final.loss != "cross_entropy":
            raise ValueError(
                f"zipmap applies to loss='cross_entropy' (probabilities); this model's "
                f"loss is {final.loss!r}, whose output holds scores"
            )
    options = {id(final): {"zipmap": zipmap}} if type(final) in ALIASES else None
    X_sample = np.asarray(X_sample)
    if X_sample.dtype not in (np.float32, np.float64):
        raise ValueError(f"X_sample must be float32 or float64, got {X_sample.dtype}")
    return _skl2onnx_to_onnx(model, X_sample[:1], options=options, target_opset=target_opset)


register()
