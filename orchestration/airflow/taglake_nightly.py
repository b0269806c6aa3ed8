"""Airflow DAG for taglake's nightly refresh: one task per stage, in the nightly's order.

Copy this file into the DAG folder and set the Airflow Variable `taglake_command` to how your
workers start taglake (default `taglake --conf cluster`; for a cluster submission, for example
`spark-submit --master yarn --archives taglake-env.tar.gz#env ... jobs/nightly.py --conf conf/cluster.yaml`).

Why it is shaped like this (docs/operations.md):
* Each task runs one stage for yesterday's snapshot: the run triggered at 01:30 on day D+1
  (Airflow 3's cron timetable: its logical date is the trigger's) computes snapshot D.
  Every task is a run in taglake's ledger (`taglake runs --date ...`), so a cleared or retried task
  re-runs exactly its stage, and `taglake nightly --resume` from a shell picks up where Airflow stopped.
* Exit code 75 means another run holds the date (taglake's lock): the retry waits and tries again.
  Any other non-zero code is a failed stage: retried twice, then the DAG run fails and pages.
* OneID of a date continues from the previous date's mapping: `oneid` waits for the previous
  day's `oneid` (depends_on_past) and one DAG run is active at a time, so catch-up runs in order.
* BashOperator, not the Spark provider: the provider pulls its own `pyspark` (research wave2 §3).
"""

from __future__ import annotations

import datetime as dt

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, Variable

#: The nightly's stages in order (taglake.pipeline.STAGES; tests/orchestration checks they agree).
STAGES = ["sources", "oneid", "tags", "segments", "bi"]
SNAPSHOT_DATE = "{{ macros.ds_add(ds, -1) }}"

default_args = {
    "owner": "data-platform",
    "retries": 2,
    "retry_delay": dt.timedelta(minutes=10),
    "retry_exponential_backoff": True,
    "execution_timeout": dt.timedelta(hours=4),   # SIGTERM on timeout: taglake records the run failed
}

with DAG(
    dag_id="taglake_nightly",
    description="taglake: OneID, tags, segments and BI publication for yesterday's snapshot",
    schedule="30 1 * * *",                        # 01:30, after the sources' nightly loads
    start_date=dt.datetime(2026, 11, 1),
    catchup=True,                                 # missed nights run in order, oldest first
    max_active_runs=1,
    default_args=default_args,
    tags=["taglake"],
) as dag:
    command = Variable.get("taglake_command", default="taglake --conf cluster")
    previous = None
    for stage in STAGES:
        task = BashOperator(
            task_id=stage,
            bash_command=f"{command} nightly --date {SNAPSHOT_DATE} --only {stage}",
            depends_on_past=stage == "oneid",
        )
        if previous is not None:
            previous >> task
        previous = task
