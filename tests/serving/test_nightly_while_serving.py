"""One shared metastore, three Spark applications at once: while the endpoint serves, a tag run
(child process) rewrites a snapshot and the nightly's BI stage (another child) republishes the BI
databases. Clients see the old snapshot or the new one, never a mix, and a new session sees the new
one without restarting the endpoint.

(Runs last in this folder: it changes the store snapshot that the other modules compare.)"""

from __future__ import annotations

import subprocess
import threading

from tests.serving.conftest import D, SOURCE_DB, TAGLAKE, child_env

PROBE = ("SELECT count(*), count(DISTINCT snapshot_date), count_if(city_tier = '测试档'), "
         "round(sum(revenue_365d), 2) FROM tags_store_latest")


def test_nightly_run_while_clients_query(spark, connect, endpoint, bi_source):
    from taglake.settings import PROJECT_ROOT

    before = connect()
    before.execute(PROBE)
    old = before.fetchall()[0]
    assert old[0] == 20 and old[1] == 1 and old[2] == 0
    store = spark.sql(f"SELECT min(store_id) FROM {SOURCE_DB}.src_stores").first()[0]
    spark.sql(f"UPDATE {SOURCE_DB}.src_stores SET city_tier = '测试档' WHERE store_id = '{store}'")

    conf = str(endpoint.conf)
    nightly = subprocess.Popen([TAGLAKE, "tags", "--subject", "store", "--date", str(D), "--conf", conf],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=child_env(), cwd=PROJECT_ROOT)
    # a third application on the same metastore: the nightly's BI stage (reads the catalog and the
    # segment statistics, republishes what changed)
    publisher = subprocess.Popen([TAGLAKE, "nightly", "--only", "bi", "--date", str(D), "--conf", conf],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=child_env(), cwd=PROJECT_ROOT)
    seen, errors = [], []

    def poll():
        cur = connect()
        while nightly.poll() is None:
            try:
                cur.execute(PROBE)
                seen.append(cur.fetchall()[0])
            except Exception as exc:  # noqa: BLE001 - collected and reported below
                errors.append(exc)

    reader = threading.Thread(target=poll)
    reader.start()
    out, _ = nightly.communicate(timeout=900)
    reader.join(timeout=600)
    assert nightly.returncode == 0, out[-3000:]
    published, _ = publisher.communicate(timeout=900)
    assert publisher.returncode == 0 and "databases=6" in published, published[-3000:]
    assert not errors, errors[:3]

    fresh = connect()
    fresh.execute(PROBE)
    new = fresh.fetchall()[0]
    assert new[:3] == (20, 1, 1)
    assert seen, "no query ran while the nightly wrote"
    assert set(seen) <= {old, new}, f"a query saw neither the old nor the new snapshot: {set(seen) - {old, new}}"
    # the session opened before the run sees the new snapshot too: no restart, no reconnect
    before.execute(PROBE)
    assert before.fetchall()[0] == new
    print(f"\n{len(seen)} queries ran while the nightly rewrote the store snapshot "
          f"({sum(1 for s in seen if s == old)} old, {sum(1 for s in seen if s == new)} new)")
