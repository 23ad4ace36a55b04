"""
Export a pipeline to ONNX and run it in onnxruntime
===================================================

Fits ``make_pipeline(StandardScaler(), SoftmaxClassifier())`` on the wine table,
converts it with :func:`sklearn_softmax.onnx.to_onnx` (which registers the converters
with skl2onnx, so ``skl2onnx.to_onnx`` works as well), runs the graph in onnxruntime
and compares its labels and probabilities with the pipeline's own. Needs
``pip install -e ".[onnx]"``.
"""

import numpy as np
import onnxruntime
from sklearn.datasets import load_wine
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_softmax import SoftmaxClassifier
from sklearn_softmax.onnx import to_onnx

X, y = load_wine(return_X_y=True)
names = np.array(["barolo", "grignolino", "barbera"])[y]  # text labels come back as text
pipeline = make_pipeline(StandardScaler(), SoftmaxClassifier()).fit(X, names)

X32 = X.astype(
    np.float32
)  # ONNX runtimes default to float32; a float64 sample gives a float64 graph
graph = to_onnx(pipeline, X32)
print("opsets:", {entry.domain or "ai.onnx": entry.version for entry in graph.opset_import})

session = onnxruntime.InferenceSession(
    graph.SerializeToString(), providers=["CPUExecutionProvider"]
)
labels, probabilities = session.run(None, {session.get_inputs()[0].name: X32})
print("outputs:", [(out.name, out.type, out.shape) for out in session.get_outputs()])
print("labels equal predict:", bool(np.all(labels == pipeline.predict(X32))))
difference = np.abs(probabilities - pipeline.predict_proba(X32)).max()
print(f"largest probability difference: {difference:.1e}")
