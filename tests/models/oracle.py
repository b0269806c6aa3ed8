"""An independent scorer: a logged logistic-regression PipelineModel's probability for one row,
computed in plain Python from the fitted stages' numbers (the imputer's medians, the indexers'
labels, the coefficients), not by Spark's transform."""

from __future__ import annotations

import math


def logistic_probability(model, row: dict) -> float:
    """P(label) for `row` (tag name -> raw value): SQL casts to double, median imputation and
    missing indicators, one-hot strings, then 1 / (1 + exp(-(b + w.x)))."""
    from pyspark.ml.classification import LogisticRegressionModel
    from pyspark.ml.feature import ImputerModel, StringIndexerModel, VectorAssembler

    stages = {type(s): s for s in model.stages}
    values: dict[str, list[float]] = {}
    if ImputerModel in stages:
        surrogates = stages[ImputerModel].surrogateDF.first().asDict()
        for name in stages[ImputerModel].getInputCols():
            raw = row[name.removeprefix("__n_")]
            values[name.replace("__n_", "__i_")] = [float(raw) if raw is not None else surrogates[name]]
            values[f"__missing_{name.removeprefix('__n_')}"] = [1.0 if raw is None else 0.0]
    if StringIndexerModel in stages:
        indexer = stages[StringIndexerModel]
        for column, known in zip(indexer.getInputCols(), indexer.labelsArray, strict=True):
            # The indexer (handleInvalid keep) puts NULL and unseen values at index len(known); the
            # encoder's own extra slot for invalid indices is the one dropLast removes.
            one_hot = [0.0] * (len(known) + 1)
            one_hot[known.index(row[column]) if row[column] in known else len(known)] = 1.0
            values[f"__e_{column}"] = one_hot
    vector = [v for col in stages[VectorAssembler].getInputCols() for v in values[col]]
    lr = stages[LogisticRegressionModel]
    margin = lr.intercept + sum(w * x for w, x in zip(lr.coefficients.toArray(), vector, strict=True))
    return 1 / (1 + math.exp(-margin))
