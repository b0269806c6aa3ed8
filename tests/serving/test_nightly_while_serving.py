"""One shared metastore, three Spark applications at once: while the endpoint serves, a tag run
(child process) rewrites a snapshot and the nightly's BI stage (another child) publishes that
library's BI databases. Clients see the old snapshot or the new one, never a mix; a session opened
before the run and a new one both see the new snapshot, and the BI databases the other
application created, without restarting the endpoint.

The run rewrites `bi_live` (a store-only library over a copy of the stores), not the shared
`tiny_nightly` that the other tests compare against."""

from __future__ import annotations

import subprocess
import threading

from tests.serving.conftest import LIVE_DB, TAGLAKE, D, child_env

PROBE = ("SELECT count(*), count(DISTINCT snapshot_date), count_if(city_tier = '测试档'), sum(area_sqm) "
         "FROM {table}")


def test_nightly_run_while_clients_query(spark, connect, endpoint, live_source, live_conf):
    from taglake.settings import PROJECT_ROOT

    probe = PROBE.format(table=f"{LIVE_DB}.tags_store_latest")
    before = connect()
    before.execute(probe)
    old = before.fetchall()[0]
    want_old = tuple(spark.sql(probe).first())
    assert old == want_old and old[0] == 20 and old[1] == 1 and old[2] == 0
    store = spark.sql(f"SELECT min(store_id) FROM {LIVE_DB}.src_stores").first()[0]
    spark.sql(f"UPDATE {LIVE_DB}.src_stores SET city_tier = '测试档', area_sqm = area_sqm + 1000 WHERE store_id = '{store}'")

    conf = str(live_conf)
    nightly = subprocess.Popen([TAGLAKE, "tags", "--date", str(D), "--conf", conf],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=child_env(), cwd=PROJECT_ROOT)
    # a third application on the same metastore: the nightly's BI stage (the live library's
    # databases `live` and `live_<line>`, new to the endpoint)
    publisher = subprocess.Popen([TAGLAKE, "nightly", "--only", "bi", "--date", str(D), "--conf", conf],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=child_env(), cwd=PROJECT_ROOT)
    seen, errors = [], []

    def poll():
        cur = connect()
        while nightly.poll() is None:
            try:
                cur.execute(probe)
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
    fresh.execute(probe)
    new = fresh.fetchall()[0]
    assert new == tuple(spark.sql(probe).first())       # the test session reads the new snapshot too
    assert new[:3] == (20, 1, 1) and new[3] == old[3] + 1000
    assert seen, "no query ran while the nightly wrote"
    assert set(seen) <= {old, new}, f"a query saw neither the old nor the new snapshot: {set(seen) - {old, new}}"
    # the session opened before the run sees the new snapshot too: no restart, no reconnect
    before.execute(probe)
    assert before.fetchall()[0] == new
    # ... and the BI tables another application published, over the same manifest
    bi = connect("live_stores")
    bi.execute(PROBE.format(table="tags_store_latest"))
    assert bi.fetchall()[0] == new
    print(f"\n{len(seen)} queries ran while the nightly rewrote the store snapshot "
          f"({sum(1 for s in seen if s == old)} old, {sum(1 for s in seen if s == new)} new)")
