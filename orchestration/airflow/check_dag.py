"""Parse the DAG file with Airflow's own DagBag (run in the Airflow virtualenv, see `make airflow-check`)
and print what a scheduler would see, as JSON: import errors, and per task its upstream tasks,
retries, depends_on_past and command."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="airflow-home-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")

from airflow.dag_processing.dagbag import DagBag  # noqa: E402 - AIRFLOW_HOME must be set first

dag_file = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).with_name("taglake_nightly.py"))
bag = DagBag(dag_folder=str(dag_file))
out = {"import_errors": {str(k): str(v) for k, v in bag.import_errors.items()}, "dags": {}}
for dag_id, dag in bag.dags.items():
    out["dags"][dag_id] = {
        "schedule": str(getattr(dag.timetable, "_expression", dag.timetable)), "max_active_runs": dag.max_active_runs, "catchup": dag.catchup,
        "tasks": {t.task_id: {"upstream": sorted(t.upstream_task_ids), "retries": t.retries,
                              "depends_on_past": t.depends_on_past, "command": getattr(t, "bash_command", None)}
                  for t in dag.tasks},
    }
print("dagbag:", json.dumps(out, sort_keys=True))   # one line: Airflow logs to stdout too
