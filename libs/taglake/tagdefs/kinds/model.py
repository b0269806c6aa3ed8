"""model: a score from a trained Spark ML model, registered in MLflow (docs/models.md).

A model tag *defines* a model (features, label, estimator) or, with `model: <tag>`, reads another
output of a model another tag defines (its decile, its class). The label is declared over a
source's rows in a window *after* the snapshot date; training at date D reads the features as of
D - horizon and the label from (D - horizon, D], so a model never sees what it predicts.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from taglake.core.model import Strict
from taglake.core.suggest import did_you_mean
from taglake.tagdefs.kinds import tag_kind
from taglake.tagdefs.library import TagRef
from taglake.tagdefs.model import NUMERIC_TYPES, TagMeta

#: Value types a feature may have: numbers and flags go in as they are, strings are one-hot encoded.
FEATURE_TYPES = (*NUMERIC_TYPES, "boolean", "string")
#: Spark ML estimators and the parameters a tag may set (checked without a JVM).
ESTIMATORS: dict[str, tuple[str, tuple[str, ...]]] = {
    "logistic_regression": ("classification", ("regParam", "elasticNetParam", "maxIter", "tol", "fitIntercept",
                                                "standardization", "threshold", "aggregationDepth")),
    "gbt_classifier": ("classification", ("maxDepth", "maxIter", "stepSize", "subsamplingRate", "maxBins",
                                           "minInstancesPerNode", "minInfoGain", "featureSubsetStrategy", "seed")),
    "linear_regression": ("regression", ("regParam", "elasticNetParam", "maxIter", "tol", "fitIntercept",
                                          "standardization", "solver", "loss")),
    "gbt_regressor": ("regression", ("maxDepth", "maxIter", "stepSize", "subsamplingRate", "maxBins",
                                      "minInstancesPerNode", "minInfoGain", "featureSubsetStrategy", "seed", "lossType")),
}
#: Output -> (value type, tasks it applies to).
OUTPUTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "probability": ("double", ("classification",)),   # P(label) in [0, 1]
    "class": ("boolean", ("classification",)),         # probability >= threshold
    "score": ("double", ("regression",)),              # the predicted value
    "decile": ("int", ("classification", "regression")),   # 1 = the top 10% by score, 10 = the bottom
}


class LabelWindow(Strict):
    """Days after the snapshot date, both inclusive: {start: 1, end: 30} is (D, D + 30]."""

    start: int = 1
    end: int


class Label(Strict):
    """What the model predicts, from a source's rows in a window after the snapshot date."""

    source: str
    #: any / none: 1 when a row matches in the window (none: when no row does) — a classification;
    #: count / sum: a number — a regression.
    aggregate: Literal["any", "none", "count", "sum"] = "any"
    value: str | None = None                            # summed expression (aggregate: sum)
    where: str | None = None
    window: LabelWindow

    @field_validator("window", mode="before")
    @classmethod
    def _window(cls, value: Any) -> Any:
        if isinstance(value, str) and value.endswith("d") and value[:-1].lstrip("-").isdigit():
            value = int(value[:-1])
        if isinstance(value, int) and not isinstance(value, bool):
            return {"start": 1, "end": value}
        return value

    @model_validator(mode="after")
    def _value_needed(self) -> Label:
        if self.aggregate == "sum" and not self.value:
            raise ValueError("aggregate 'sum' needs a `value` expression")
        return self

    @property
    def task(self) -> str:
        return "classification" if self.aggregate in ("any", "none") else "regression"


class Estimator(Strict):
    type: Literal["logistic_regression", "gbt_classifier", "linear_regression", "gbt_regressor"]
    params: dict[str, Any] = Field(default_factory=dict)


class Split(Strict):
    """Deterministic train / validation split by a hash of the subject key."""

    validation: float = Field(0.2, gt=0, lt=1)
    seed: int = 42


@tag_kind
class ModelTag(TagMeta):
    """A score from a model trained on this subject's tags, registered in MLflow."""

    kind: Literal["model"]
    model: str | None = None          # read another output of the model this tag names
    features: list[str] | None = None   # tag names or glob patterns (cat_*_spend_365)
    exclude: list[str] = Field(default_factory=list)
    population: str | None = None     # condition over tags: who is trained and scored (others: NULL)
    label: Label | None = None
    estimator: Estimator | None = None
    split: Split = Field(default_factory=Split)
    output: Literal["probability", "class", "score", "decile"] | None = None
    threshold: float = Field(0.5, gt=0, lt=1)   # output `class`

    position: ClassVar[int] = 90

    @model_validator(mode="after")
    def _defines_or_reads(self) -> ModelTag:
        defining = (self.features, self.label, self.estimator)
        if self.model is None and any(part is None for part in defining):
            raise ValueError("a model tag needs `features`, `label` and `estimator` (or `model: <tag>` to read another output "
                             "of a model defined elsewhere)")
        if self.model is not None and any(part is not None for part in defining):
            raise ValueError("`model: <tag>` reads a model defined by another tag; drop `features`, `label` and `estimator`")
        return self

    def default_type(self) -> str:
        return OUTPUTS[self.output][0] if self.output else "double"

    @property
    def task(self) -> str:
        """classification | regression: what the estimator of a tag defining a model does."""
        assert self.estimator is not None, f"{self.name} reads model {self.model}; it has no estimator of its own"
        return ESTIMATORS[self.estimator.type][0]

    def column_group(self) -> str:
        """A model's outputs get column groups of their own, written when the model is scored."""
        return f"model_{self.model or self.name}"

    def check(self, ctx) -> None:
        defining = self
        if self.model is not None:
            other = ctx.tags[ctx.tag.subject].get(self.model)
            if other is None or other.kind != "model" or other.spec.model is not None:
                models = [n for n, t in ctx.tags[ctx.tag.subject].items() if t.kind == "model" and t.spec.model is None]
                ctx.problem("model", f"{self.model!r} is not a model tag defining a model of subject {ctx.tag.subject!r}"
                                     f"{did_you_mean(self.model, models)} (models: {', '.join(sorted(models)) or 'none'})")
                return
            defining = other.spec
        task = defining.task
        output = self.output or ("probability" if task == "classification" else "score")
        if task not in OUTPUTS[output][1]:
            allowed = [o for o, (_t, tasks) in OUTPUTS.items() if task in tasks]
            ctx.problem("output", f"output {output!r} does not fit a {task} model (allowed: {', '.join(allowed)})", "type")
        if self.type is not None and self.type != OUTPUTS[output][0]:
            ctx.problem("type", f"output {output!r} is a {OUTPUTS[output][0]}, not {self.type}", "type")
        if defining is not self:
            ctx.depend(*(TagRef(ctx.tag.subject, n) for n in model_inputs(defining, ctx.tags[ctx.tag.subject])))
            return
        self._check_definition(ctx, task)

    def _check_definition(self, ctx, task: str) -> None:
        subject = ctx.tag.subject
        tags = ctx.tags[subject]
        label, estimator = self.label, self.estimator
        assert label is not None and estimator is not None
        if label.task != task:
            ctx.problem("estimator.type", f"estimator {estimator.type!r} is for {task}, but label aggregate "
                                          f"{label.aggregate!r} makes this a {label.task} model", "type")
        allowed = ESTIMATORS[estimator.type][1]
        for param in estimator.params:
            if param not in allowed:
                ctx.problem(f"estimator.params.{param}", f"{estimator.type} has no parameter {param!r}"
                                                          f"{did_you_mean(param, allowed)} (allowed: {', '.join(allowed)})")
        if label.window.start < 1 or label.window.end < label.window.start:
            ctx.problem("label.window", f"label window days {label.window.start}..{label.window.end} are not in the future: "
                                        "a label counts days after the snapshot date (start >= 1, end >= start), "
                                        "e.g. window: 30 for the 30 days after D", "leakage")
        if ctx.checker.source_ok(label.source, subject, ctx.tag.origin, f"{ctx.tag.origin.path}.label.source"):
            if not ctx.sources[label.source].time:
                ctx.problem("label.source", f"source {label.source!r} has no `time` column; a label window needs one")
            for key in ("value", "where"):
                text = getattr(label, key)
                if text:
                    ctx.source_expr(f"label.{key}", label.source, text)
        if self.population:
            ctx.tag_expr("population", self.population, boolean=True)
        names = feature_names(self, tags, ctx.problem)
        ctx.depend(*(TagRef(subject, name) for name in names))
        if not names and self.features:
            ctx.problem("features", "no usable feature: the names and patterns match no numeric, boolean or string tag")


    def upstream_check(self, ctx) -> None:
        """No feature may be computed, directly or through other tags, from a model tag: a model's
        score at D - horizon comes from a model trained on labels after it (the label's future)."""
        if self.model is not None:
            return
        tags = ctx.tags[ctx.tag.subject]
        for name in feature_names(self, tags):
            chain = ctx.chain_to(name, lambda t: t.kind == "model")
            if chain is None:
                continue
            how = "is a model tag" if len(chain) == 1 else f"is computed from model tag {chain[-1]!r} ({' <- '.join(chain)})"
            ctx.problem("features", f"feature {name!r} {how}: a model's values are learnt from labels after the snapshot "
                                    "date (the label's future), so it cannot be a feature (drop it or list it in `exclude`)",
                        "leakage")


def feature_names(spec: ModelTag, tags: dict[str, Any], problem=None) -> list[str]:
    """The features a defining model tag names, patterns expanded in the subject's tag order.
    Named tags must exist and have a usable type; patterns take the usable tags they match."""
    out: dict[str, None] = {}
    excluded = [p for p in spec.exclude]
    for i, item in enumerate(spec.features or []):
        if any(ch in item for ch in "*?["):
            matched = [n for n, t in tags.items() if fnmatchcase(n, item) and t.type in FEATURE_TYPES and t.kind != "model"]
            if not matched and problem is not None:
                problem(f"features[{i}]", f"pattern {item!r} matches no numeric, boolean or string tag of the subject")
            out.update(dict.fromkeys(matched))
            continue
        tag = tags.get(item)
        if tag is None:
            if problem is not None:
                problem(f"features[{i}]", f"unknown feature {item!r}: no such tag of the subject{did_you_mean(item, tags)}")
            continue
        if tag.type not in FEATURE_TYPES:
            if problem is not None:
                problem(f"features[{i}]", f"feature {item!r} is a {tag.type}; features are {', '.join(FEATURE_TYPES)} "
                                          "(use a days-since tag for a date)", "type")
            continue
        out[item] = None
    return [n for n in out if not any(fnmatchcase(n, p) for p in excluded)]


def model_inputs(spec: ModelTag, tags: dict[str, Any]) -> list[str]:
    """Every tag a defining model reads at scoring time: its features, then its population's tags."""
    names = feature_names(spec, tags)
    if spec.population:
        from taglake.core import expressions as X

        try:
            columns = X.parse_checked(spec.population).columns
        except X.ExpressionProblem:
            columns = frozenset()
        names += sorted(c for c in columns if c in tags and c not in names)
    return names
