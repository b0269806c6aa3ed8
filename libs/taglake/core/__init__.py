"""Machinery every definition-reading package shares (tagdefs, identity, segments, settings).

- `model.Strict`: the one pydantic base; unknown keys are errors.
- `yamlio`: YAML 1.2 booleans, every mapping remembers its file and the line of each key.
- `problems`: problems collected with file:line and key path, pydantic errors turned into them.
- `suggest.did_you_mean`: the one "did you mean" rule.
- `hashing.stable_hash`: definition hashes (tags, sources, segments).
- `dag.DAG`: dependencies, layers and exact cycle paths.
- `expressions`: the one checker for user-written SQL fragments (allow-list, sqlglot).
- `retention`: which dated snapshots a retention policy keeps (tag snapshots and OneID alike).

Nothing here imports Spark: these modules are pure and load in milliseconds.
"""
