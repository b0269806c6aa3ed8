"""Model tags: training without leakage, the MLflow registry, nightly scoring, monitoring.

`store` (MLflow URIs, telemetry off), `dataset` (features as of D - horizon and labels after it),
`pipeline` (the Spark ML pipeline for a tag's features), `metrics`, `train` (`taglake train`),
`scoring` (the runner of the model step in the tags stage), `records` (which version scored which
snapshot, score distributions and PSI). docs/models.md describes the whole.
"""
