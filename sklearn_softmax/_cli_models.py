"""The command line's models: the preprocessing a scikit-learn user would write for a
table, and the pipelines of ours and scikit-learn's models that the run compares."""

from __future__ import annotations

from dataclasses import dataclass, field

from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import LinearSVC

from . import SoftmaxClassifier, SoftmaxClassifierCV

#: The ``--models`` choices: ours (one per ``--loss``) and scikit-learn's.
MODELS = ("softmax", "logistic", "linear_svc")


@dataclass
class Columns:
    """A table's feature columns by treatment: numbers (median-imputed, standardized)
    and categories (text or booleans: most-frequent-imputed, one-hot encoded)."""

    numbers: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, frame) -> Columns:
        """The columns of a pandas DataFrame, by dtype (numbers: ints and floats)."""
        columns = cls()
        for name, dtype in frame.dtypes.items():
            (columns.numbers if dtype.kind in "iuf" else columns.categories).append(str(name))
        return columns

    def with_text_categories(self, frame):
        """``frame`` with its category columns as text, a missing cell as ``""``: the
        missing-value marker of the pipeline's imputer, which skl2onnx converts (a
        text imputer of NaN it does not)."""
        frame = frame.copy()
        for name in self.categories:
            column = frame[name]
            frame[name] = column.astype(object).where(column.notna(), "").astype(str)
        return frame


def table_preprocessing(columns: Columns) -> ColumnTransformer:
    """``ColumnTransformer`` of the table's columns: numbers median-imputed and
    standardized, categories (text, ``""`` when missing: :meth:`Columns.with_text_categories`)
    most-frequent-imputed and one-hot encoded (categories unseen in training ignored)."""
    parts = []
    if columns.numbers:
        numbers = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
        parts.append(("numbers", numbers, columns.numbers))
    if columns.categories:
        categories = make_pipeline(
            SimpleImputer(strategy="most_frequent", missing_values=""),
            OneHotEncoder(handle_unknown="ignore"),
        )
        parts.append(("categories", categories, columns.categories))
    return ColumnTransformer(parts)


def table_preprocessing_code(columns: Columns) -> str:
    """The Python that builds :func:`table_preprocessing`'s transformer, to copy."""
    lines = ["ColumnTransformer(["]
    if columns.numbers:
        lines.append(
            '    ("numbers", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),'
        )
        lines.append(f"     {columns.numbers!r}),")
    if columns.categories:
        lines.append(
            '    ("categories", make_pipeline(SimpleImputer(strategy="most_frequent", '
            'missing_values=""),'
        )
        lines.append('                                 OneHotEncoder(handle_unknown="ignore")),')
        lines.append(f"     {columns.categories!r}),")
    lines.append("])")
    if columns.categories:
        lines.append("# applied to the text columns with a missing cell as an empty string:")
        lines.append(f"# frame[{columns.categories!r}] = frame[...].fillna('').astype(str)")
    return "\n".join(lines)


@dataclass
class Settings:
    """What the user chose for the models: ``Cs`` and ``l1_ratios`` (several of either
    mean a search by ``SoftmaxClassifierCV``), the hinge variant, class weights."""

    losses: list[str]
    multiclass_hinge: str
    Cs: list[float]
    l1_ratios: list[float]
    class_weight: str | None
    inner_cv: int = 3

    @property
    def search(self) -> bool:
        return len(self.Cs) > 1 or len(self.l1_ratios) > 1


def ours(loss: str, settings: Settings) -> tuple[str, object]:
    """``(name, estimator)`` of our model for ``loss``: a fit at the one ``C`` and
    ``l1_ratio``, or a ``SoftmaxClassifierCV`` search over them."""
    variant = f", {settings.multiclass_hinge}" if loss != "cross_entropy" else ""
    common = {
        "loss": loss,
        "multiclass_hinge": settings.multiclass_hinge,
        "class_weight": settings.class_weight,
    }
    if settings.search:
        name = f"SoftmaxClassifierCV({loss}{variant})"
        model = SoftmaxClassifierCV(
            Cs=settings.Cs, l1_ratios=settings.l1_ratios, cv=settings.inner_cv, **common
        )
        return name, model
    name = f"SoftmaxClassifier({loss}{variant})"
    return name, SoftmaxClassifier(C=settings.Cs[0], l1_ratio=settings.l1_ratios[0], **common)


def baselines(chosen, settings: Settings) -> list[tuple[str, object]]:
    """scikit-learn's models: their defaults, but the one ``C`` when one was given
    and no search runs, and the class weights."""
    C = 1.0 if settings.search else settings.Cs[0]
    models = []
    if "logistic" in chosen:
        model = LogisticRegression(C=C, max_iter=1000, class_weight=settings.class_weight)
        models.append(("LogisticRegression", model))
    if "linear_svc" in chosen:
        model = LinearSVC(C=C, multi_class="crammer_singer", class_weight=settings.class_weight)
        models.append(("LinearSVC(crammer_singer)", model))
    return models


def pipelines(chosen, settings: Settings, preprocessing) -> list[tuple[str, Pipeline]]:
    """``(name, Pipeline(preprocessing, model))`` of every chosen model, ours first;
    ``preprocessing()`` builds a fresh first step."""
    models = [ours(loss, settings) for loss in settings.losses] if "softmax" in chosen else []
    models += baselines(chosen, settings)
    return [
        (name, Pipeline([("preprocess", preprocessing()), ("model", model)]))
        for name, model in models
    ]


def given(name: str, model, sample_weight: bool) -> str:
    """One line of what ``model`` was given, for the table's footer."""
    params = model.get_params()
    keys = ["C", "l1_ratio", "Cs", "l1_ratios", "cv", "class_weight", "max_iter"]
    shown = [f"{key}={params[key]!r}" for key in keys if key in params and params[key] is not None]
    if sample_weight:
        shown.append("sample weights")
    return f"{name}: {', '.join(shown)}"
