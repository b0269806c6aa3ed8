"""The example Airflow DAG, parsed by Airflow's own DagBag in its own virtualenv (`make airflow-check`:
Airflow and its providers never share a virtualenv with pyspark), checked against the nightly's stages."""

from __future__ import annotations

import json
import subprocess

from taglake.pipeline import STAGES
from taglake.settings import PROJECT_ROOT

VENV = PROJECT_ROOT / ".venv-airflow"


def parsed() -> dict:
    subprocess.run(["make", "-s", "airflow-venv"], cwd=PROJECT_ROOT, check=True, timeout=900)
    proc = subprocess.run([str(VENV / "bin" / "python"), "orchestration/airflow/check_dag.py"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(next(line for line in proc.stdout.splitlines() if line.startswith("dagbag: "))[len("dagbag: "):])


def test_the_dag_runs_every_stage_in_order_with_retries_and_oneid_continuity():
    out = parsed()
    assert out["import_errors"] == {}
    dag = out["dags"]["taglake_nightly"]
    names = [s.name for s in STAGES]
    assert sorted(dag["tasks"]) == sorted(names)
    for before, stage in zip([None, *names], names):
        task = dag["tasks"][stage]
        assert task["upstream"] == ([before] if before else []), stage
        assert task["retries"] == 2
        assert task["depends_on_past"] is (stage == "oneid")        # OneID continues from the previous date
        assert task["command"] == f"taglake --conf cluster nightly --date {{{{ macros.ds_add(ds, -1) }}}} --only {stage}"
    assert dag["max_active_runs"] == 1 and dag["catchup"] is True and "'30 1 * * *'" in dag["schedule"]
