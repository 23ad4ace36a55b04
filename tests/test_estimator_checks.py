"""scikit-learn's own estimator checks, for every loss and hinge variant, with the L2,
elastic-net and L1 penalties."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_softmax import SoftmaxClassifier, SoftmaxClassifierCV
from tests.oracles import LABEL_SMOOTHING_CONFIG, LOSS_CONFIGS

ESTIMATORS = [
    *(SoftmaxClassifier(**config) for config in LOSS_CONFIGS),
    SoftmaxClassifier(**LABEL_SMOOTHING_CONFIG, class_weight="balanced"),
    *(
        SoftmaxClassifier(**config, l1_ratio=l1_ratio)
        for l1_ratio in (0.5, 1.0)
        for config in LOSS_CONFIGS
    ),
    SoftmaxClassifierCV(Cs=3, cv=3),
    SoftmaxClassifierCV(Cs=3, cv=3, l1_ratios=(0.0, 1.0), loss="squared_hinge"),
]

# scikit-learn marks these as expected failures for LinearSVC too: with the
# (non-smooth) hinge and an unpenalized intercept, the optimal intercept is not
# unique, so the weighted and the repeated fit may stop at different ones.
# Cross-entropy and the squared hinges pass them.
HINGE_XFAILS = {
    "check_sample_weight_equivalence_on_dense_data": "hinge: the optimum is not unique",
    "check_sample_weight_equivalence_on_sparse_data": "hinge: the optimum is not unique",
}


# The squared Crammer-Singer hinge is not differentiable either (the max over
# classes); with the L1 penalty alone nothing makes the objective strictly convex,
# and its fits agree to the smoothing gap the rule allows at the default tol (1e-4
# of the zero model's loss: measured 4e-4 of J between tol=1e-4 and 1e-7), not to
# the check's rtol=1e-7. With any L2 part it passes.
L1_SQUARED_CS_XFAILS = {
    name: "squared Crammer-Singer hinge with L1 alone: agreement to the smoothing gap only"
    for name in HINGE_XFAILS
}


# Cross-validation splits n weighted samples and their repeated copies differently,
# so the chosen C may differ. (Cross-entropy's choice agrees on the check's data.)
CV_XFAILS = {
    name: "cross-validation folds of repeated samples differ from weighted ones"
    for name in HINGE_XFAILS
}


def expected_failures(estimator):
    if isinstance(estimator, SoftmaxClassifierCV) and estimator.loss != "cross_entropy":
        return CV_XFAILS
    if estimator.loss == "hinge":
        return HINGE_XFAILS
    squared_cs = (
        estimator.loss == "squared_hinge" and estimator.multiclass_hinge == "crammer_singer"
    )
    l1_only = getattr(estimator, "l1_ratio", None) == 1
    return L1_SQUARED_CS_XFAILS if squared_cs and l1_only else {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failures)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)
