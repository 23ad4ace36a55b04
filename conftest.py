"""pytest's collection: the docstring examples of ``sklearn_softmax.onnx`` need the
onnx extra (skl2onnx); without it that module is not collected (tests/test_onnx.py
skips, saying how to install it)."""

import importlib.util

collect_ignore = [] if importlib.util.find_spec("skl2onnx") else ["sklearn_softmax/onnx.py"]
