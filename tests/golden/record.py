"""Record the golden objectives: ``python tests/golden/record.py`` (from the repository).

Run once, at the commit before a refactor, to hold later code to that release's
optima: ``tests/test_golden.py`` refits each case and compares. The objectives
are computed with ``tests.oracles.objective`` (textbook formulas), not the library.
"""

import json
import subprocess
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sklearn_softmax import SoftmaxClassifier  # noqa: E402
from tests.oracles import GOLDEN_CONFIGS, config_id, golden_problems, objective  # noqa: E402


def main() -> None:
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    cases = []
    for name, (X, y, fit_params, params) in golden_problems().items():
        for config in GOLDEN_CONFIGS:
            all_params = {**params, **config}
            model = SoftmaxClassifier(**all_params, tol=1e-10, max_iter=100_000)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                model.fit(X, y, **fit_params)
            loss_params = {k: v for k, v in config.items() if k not in ("C",)}
            weight = fit_params.get("sample_weight")
            if all_params.get("class_weight") == "balanced":
                from sklearn.utils.class_weight import compute_class_weight

                classes = model.classes_
                c = compute_class_weight("balanced", classes=classes, y=y, sample_weight=weight)
                weight = (weight if weight is not None else 1.0) * c[y]
            value = objective(
                model.coef_,
                model.intercept_,
                X,
                y,
                C=all_params["C"],
                sample_weight=weight,
                **loss_params,
            )
            cases.append(
                {
                    "problem": name,
                    "config": config_id(config),
                    "objective": value,
                    "coef": model.coef_.tolist(),
                    "intercept": model.intercept_.tolist(),
                    "warnings": [str(w.message) for w in caught],
                }
            )
            print(f"{name:32s} {config_id(config):40s} {value:.12g} {len(caught)} warnings")
    out = Path(__file__).with_name("objectives.json")
    out.write_text(json.dumps({"commit": commit, "cases": cases}, indent=1) + "\n")


if __name__ == "__main__":
    main()
