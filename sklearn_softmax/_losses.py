"""The registry of losses: every loss name the library fits and measures.

:data:`LOSSES` maps each name to a :class:`LossKind` (its loss classes, default
``tol``, whether it models probabilities, which parameters apply to it). The
estimators, the metrics, the scorers and the command line all read it, through
:class:`LossSpec` (a loss by name and parameters, checked) and :func:`make_loss`.

Every name, variant and keyword is checked here: an unknown one raises ValueError
with the allowed values. A known parameter that does not apply to the chosen loss
(``margin`` with cross-entropy) is ignored, as scikit-learn ignores parameters of
other solvers, except ``label_smoothing`` with a hinge, which is an error: it would
change what cross-entropy fits, and no hinge has a target distribution to smooth.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

from ._cross_entropy import BinaryCrossEntropy, MultinomialCrossEntropy
from ._hinges import BinaryHinge, CrammerSingerHinge, WestonWatkinsHinge
from ._loss import Loss

MULTICLASS_HINGES = ("crammer_singer", "weston_watkins")

#: The parameters that change a loss beyond its name and variant, and their defaults.
LOSS_PARAMETERS: Mapping[str, float] = {"label_smoothing": 0.0, "margin": 1.0}

#: A parameter of the losses' classes that only the fit sets: the hinges' smoothing.
INTERNAL_PARAMETERS = ("smoothing",)


@dataclass(frozen=True)
class LossKind:
    """What the library knows of one loss name: its classes and its defaults."""

    #: The loss of one score, for two classes.
    binary: type[Loss]
    #: The loss of K >= 3 scores, by ``multiclass_hinge`` variant.
    multiclass: Mapping[str, type[Loss]]
    #: The ``tol`` of a fit when ``tol=None``.
    default_tol: float
    #: Whether the scores are log-probabilities up to a constant (``predict_proba``).
    has_proba: bool
    #: The entries of :data:`LOSS_PARAMETERS` that apply to it.
    parameters: tuple[str, ...]
    #: Parameters set by the name itself.
    fixed: Mapping[str, object] = field(default_factory=dict)

    @property
    def has_variants(self) -> bool:
        """Whether ``multiclass_hinge`` chooses between loss classes."""
        return len(set(self.multiclass.values())) > 1

    @property
    def response_method(self) -> str:
        """The estimator method whose output the loss measures."""
        return "predict_proba" if self.has_proba else "decision_function"


def _hinges(squared: bool) -> LossKind:
    variants = {"crammer_singer": CrammerSingerHinge, "weston_watkins": WestonWatkinsHinge}
    # 1e-4: the hinges pay more iterations for each digit of tol than cross-entropy
    # (benchmarks/notes.md d).
    return LossKind(BinaryHinge, variants, 1e-4, False, ("margin",), {"squared": squared})


#: The registry: every loss name the library fits and measures.
LOSSES: Mapping[str, LossKind] = {
    # 1e-5: an objective at least as low as LogisticRegression's at its default
    # 1e-4 (benchmarks/notes.md d).
    "cross_entropy": LossKind(
        BinaryCrossEntropy,
        dict.fromkeys(MULTICLASS_HINGES, MultinomialCrossEntropy),
        1e-5,
        True,
        ("label_smoothing",),
    ),
    "hinge": _hinges(squared=False),
    "squared_hinge": _hinges(squared=True),
}


def loss_kind(loss: str) -> LossKind:
    """The registry entry of ``loss``; an unknown name raises ValueError."""
    try:
        return LOSSES[loss]
    except (KeyError, TypeError):
        raise ValueError(f"Unknown loss {loss!r}; expected one of {sorted(LOSSES)}.") from None


@dataclass(frozen=True)
class LossSpec:
    """A loss by its registry name and parameters; checked when made.

    ``margin`` is ignored by cross-entropy; ``label_smoothing`` other than 0 with a
    hinge raises ValueError.
    """

    name: str = "cross_entropy"
    multiclass_hinge: str = "crammer_singer"
    label_smoothing: float = 0.0
    margin: float = 1.0

    def __post_init__(self):
        kind = loss_kind(self.name)
        if self.multiclass_hinge not in MULTICLASS_HINGES:
            raise ValueError(
                f"Unknown multiclass_hinge {self.multiclass_hinge!r}; expected one of "
                f"{list(MULTICLASS_HINGES)}."
            )
        if self.label_smoothing and "label_smoothing" not in kind.parameters:
            with_it = [
                name for name, other in LOSSES.items() if "label_smoothing" in other.parameters
            ]
            raise ValueError(
                f"label_smoothing applies to loss={' or '.join(map(repr, with_it))} only; got "
                f"label_smoothing={self.label_smoothing!r} with loss={self.name!r}."
            )

    @property
    def kind(self) -> LossKind:
        return LOSSES[self.name]

    @property
    def scorer_name(self) -> str:
        """``neg_<name>``, with the Weston-Watkins variant and any parameter of the loss
        that is not its default: ``neg_weston_watkins_hinge(margin=0.5)``."""
        kind = self.kind
        variant = "weston_watkins_" if kind.has_variants and self._weston_watkins else ""
        changed = [
            f"{name}={getattr(self, name)!r}"
            for name in kind.parameters
            if getattr(self, name) != LOSS_PARAMETERS[name]
        ]
        return f"neg_{variant}{self.name}" + (f"({', '.join(changed)})" if changed else "")

    @property
    def _weston_watkins(self) -> bool:
        return self.multiclass_hinge == "weston_watkins"

    def make(self, n_classes: int, *, smoothing: float = 0.0) -> Loss:
        """The :class:`~._loss.Loss` for ``n_classes`` classes (two: the one-score
        binary form), with the hinges' ``smoothing``."""
        kind = self.kind
        cls = kind.binary if n_classes == 2 else kind.multiclass[self.multiclass_hinge]
        values = {
            "label_smoothing": self.label_smoothing,
            "margin": self.margin,
            "smoothing": smoothing,
            **kind.fixed,
        }
        names = {f.name for f in dataclasses.fields(cls) if f.init}
        return cls(**{key: value for key, value in values.items() if key in names})


def make_loss(
    loss: str,
    n_classes: int,
    *,
    multiclass_hinge: str = "crammer_singer",
    **params,
) -> Loss:
    """The :class:`~._loss.Loss` named ``loss`` for ``n_classes`` classes.

    ``params``: ``label_smoothing``, ``margin`` (see :class:`LossSpec`) and the
    hinges' ``smoothing``. An unknown name, variant or keyword raises ValueError.
    """
    allowed = [*LOSS_PARAMETERS, *INTERNAL_PARAMETERS]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ValueError(f"Unknown loss parameter(s) {unknown}; expected some of {allowed}.")
    spec_params = {name: params[name] for name in LOSS_PARAMETERS if name in params}
    spec = LossSpec(loss, multiclass_hinge, **spec_params)
    return spec.make(n_classes, smoothing=params.get("smoothing", 0.0))
