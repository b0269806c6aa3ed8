"""model: scores of an MLflow-registered Spark ML model on tags already computed.

All outputs of one model (probability, decile, class) join one `ModelStep`, placed after every
feature it reads; its runner (`taglake.models.scoring`) loads the model at its alias and runs
`transform` in the JVM. The compiler and the engine know nothing of models: the step type, its
contribution and its runner live here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from taglake.compiler import sqlkit
from taglake.compiler.builders import builder
from taglake.compiler.contributions import StepBook
from taglake.compiler.plan import Output
from taglake.compute.runners import runner
from taglake.tagdefs.kinds.model import OUTPUTS, feature_names, model_inputs
from taglake.tagdefs.library import Library, Tag


def model_name(subject: str, tag: str) -> str:
    """The registered model's name: one model per defining tag."""
    return f"{subject}.{tag}"


@dataclass
class ModelStep:
    """Score one model for every subject: its features in, each output tag out."""

    subject: str
    model: str                                   # registered model name
    defining_tag: str
    task: str                                    # classification | regression
    inputs: tuple[str, ...]                      # features + population tags, read from this run's tags
    features: tuple[str, ...]
    population_sql: str | None
    outputs: list[Output]
    output_kinds: dict[str, tuple[str, float]] = field(default_factory=dict)   # tag -> (output, threshold)
    kind: str = "model"
    order: ClassVar[int] = 6


@dataclass(frozen=True)
class ModelSql:
    model: str
    defining_tag: str
    task: str
    output: str
    threshold: float
    inputs: tuple[str, ...]
    features: tuple[str, ...]
    population_sql: str | None

    scan: ClassVar[bool] = False

    def place(self, tag: Tag, depth: int, book: StepBook) -> None:
        def make() -> ModelStep:
            return ModelStep(tag.subject, self.model, self.defining_tag, self.task, self.inputs, self.features,
                             self.population_sql, [])

        step = book.step(("model", tag.subject, self.model, depth), depth, make)
        step.outputs.append(Output(tag.name, "", tag.type, None))
        step.output_kinds[tag.name] = (self.output, self.threshold)


def defining(tag: Tag, library: Library) -> Tag:
    return library.tags[tag.subject][tag.spec.model] if tag.spec.model else tag


@builder("model")
def build(tag: Tag, library: Library) -> ModelSql:
    source = defining(tag, library)
    spec = source.spec
    tags = library.tags[tag.subject]
    features = feature_names(spec, tags)
    task = spec.task
    output = tag.spec.output or ("probability" if task == "classification" else "score")
    assert task in OUTPUTS[output][1]
    population = sqlkit.tags_sql(source.exprs["population"]) if "population" in source.exprs else None
    return ModelSql(model_name(tag.subject, source.name), source.name, task, output, tag.spec.threshold,
                    tuple(model_inputs(spec, tags)), tuple(features), population)


@runner(ModelStep, scan=False)
def _score(run, state, step: ModelStep, states, keep: list[str]):
    from taglake.models.scoring import score_step

    return score_step(run, state, step, keep)
