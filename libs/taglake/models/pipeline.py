"""The Spark ML pipeline of a model tag: tag columns in, a prediction out, all in the JVM.

Stages: one SQL transformer (booleans and integers to double, a missing-value indicator for
numeric features that have NULLs), string indexers + one-hot encoders for string features, a
median imputer, the vector assembler, the estimator. Everything a tag column needs before the
estimator lives in the fitted PipelineModel, so scoring hands it the raw tag columns (the model's
signature) and nothing else.
"""

from __future__ import annotations

from pyspark.ml import Pipeline
from pyspark.ml.feature import Imputer, OneHotEncoder, SQLTransformer, StringIndexer, VectorAssembler

from taglake.core.expressions import quote_identifier as q
from taglake.tagdefs.kinds.model import Estimator

NUMERIC = ("int", "bigint", "double", "boolean")
FEATURES = "__features"
PREDICTION = "__prediction"
PROBABILITY = "__probability"
RAW = "__raw"
LABEL = "__label"


def _num(name: str) -> str:
    return f"__n_{name}"


def estimator_for(spec: Estimator, task: str):
    from pyspark.ml.classification import GBTClassifier, LogisticRegression
    from pyspark.ml.regression import GBTRegressor, LinearRegression

    cls = {"logistic_regression": LogisticRegression, "gbt_classifier": GBTClassifier,
           "linear_regression": LinearRegression, "gbt_regressor": GBTRegressor}[spec.type]
    estimator = cls(featuresCol=FEATURES, labelCol=LABEL, predictionCol=PREDICTION, **spec.params)
    if task == "classification":
        # Every classifier has these params, but not all take them as constructor arguments (GBT).
        estimator.set(estimator.getParam("probabilityCol"), PROBABILITY)
        estimator.set(estimator.getParam("rawPredictionCol"), RAW)
    if estimator.hasParam("seed") and "seed" not in spec.params:
        estimator.set(estimator.getParam("seed"), 42)   # fixed, so a retraining is reproducible
    return estimator


def build_pipeline(features: list[str], types: dict[str, str], with_nulls: set[str], spec: Estimator, task: str) -> Pipeline:
    numeric = [f for f in features if types[f] in NUMERIC]
    strings = [f for f in features if types[f] == "string"]
    casts = [f"CAST({q(f)} AS DOUBLE) AS {q(_num(f))}" for f in numeric]
    missing = [f"CAST({q(f)} IS NULL AS DOUBLE) AS {q(f'__missing_{f}')}" for f in numeric if f in with_nulls]
    stages: list = []
    if casts:
        stages.append(SQLTransformer(statement=f"SELECT *, {', '.join(casts + missing)} FROM __THIS__"))
    assembled: list[str] = []
    if numeric:
        # Every numeric feature is imputed (a tag complete in training may have gaps later); those
        # with gaps in training also get an indicator, so "never ordered" differs from the median.
        imputed = [f"__i_{f}" for f in numeric]
        stages.append(Imputer(inputCols=[_num(f) for f in numeric], outputCols=imputed, strategy="median"))
        assembled = imputed + [f"__missing_{f}" for f in numeric if f in with_nulls]
    if strings:
        indexed = [f"__x_{f}" for f in strings]
        encoded = [f"__e_{f}" for f in strings]
        stages.append(StringIndexer(inputCols=strings, outputCols=indexed, handleInvalid="keep", stringOrderType="frequencyDesc"))
        stages.append(OneHotEncoder(inputCols=indexed, outputCols=encoded, handleInvalid="keep"))
        assembled += encoded
    stages.append(VectorAssembler(inputCols=assembled, outputCol=FEATURES, handleInvalid="keep"))
    stages.append(estimator_for(spec, task))
    return Pipeline(stages=stages)


def with_score(frame, task: str, alias: str):
    """`frame` + the score column, extracted in the JVM (no Python UDF)."""
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql import functions as F

    if task == "classification":
        return frame.select("*", vector_to_array(F.col(PROBABILITY)).getItem(1).alias(alias))
    return frame.select("*", F.col(PREDICTION).cast("double").alias(alias))
