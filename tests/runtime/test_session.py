"""The session factory: Delta, a persistent catalog, cached jars, tables readable by name."""

from __future__ import annotations

from taglake.runtime.session import session_conf
from taglake.settings import load_settings


def test_local_conf_gives_delta_and_a_persistent_catalog():
    settings = load_settings("local")
    conf = session_conf(settings)
    assert conf["spark.sql.extensions"] == "io.delta.sql.DeltaSparkSessionExtension"
    assert conf["spark.sql.catalog.spark_catalog"].endswith("DeltaCatalog")
    assert conf["spark.sql.catalogImplementation"] == "hive"
    assert conf["spark.sql.warehouse.dir"] == (settings.root / "warehouse").as_uri()
    assert f"databaseName={settings.root / 'warehouse' / 'metastore_db'}" in conf["spark.hadoop.javax.jdo.option.ConnectionURL"]
    assert conf["spark.master"] == "local[*]"
    # jars from the local cache (filled once by `make setup`), never resolved mid-run
    assert "spark.jars.packages" not in conf
    assert all(j.endswith(".jar") for j in conf["spark.jars"].split(","))
    assert any("delta-spark" in j for j in conf["spark.jars"].split(","))


def test_cluster_conf_leaves_master_and_jars_to_spark_submit():
    conf = session_conf(load_settings("cluster"))
    assert "spark.master" not in conf
    assert conf["spark.jars.packages"] == "io.delta:delta-spark_4.2_2.13:4.4.0"
    assert conf["spark.sql.warehouse.dir"].startswith("s3a://")


def test_tables_are_registered_and_time_travel_works(spark, settings):
    table = settings.table("probe")
    spark.range(3).write.format("delta").saveAsTable(table)
    spark.range(5).write.format("delta").mode("overwrite").saveAsTable(table)
    assert spark.sql(f"SELECT count(*) FROM {table}").first()[0] == 5
    assert spark.sql(f"SELECT count(*) FROM {table} VERSION AS OF 0").first()[0] == 3
    assert settings.database in [d.name for d in spark.catalog.listDatabases()]


def test_the_time_zone_is_one_declared_setting(tmp_path):
    """conf `timezone` sets Spark's session zone; setting the Spark key directly, or a zone that
    does not exist, is a readable error naming the file and the key."""
    import pytest
    import yaml

    from taglake.errors import ConfigError

    assert session_conf(load_settings("local"))["spark.sql.session.timeZone"] == "Asia/Shanghai"
    assert session_conf(load_settings("cluster"))["spark.sql.session.timeZone"] == "Asia/Shanghai"
    raw = yaml.safe_load(open(load_settings("local").root / "conf" / "local.yaml", encoding="utf-8"))
    (tmp_path / "conf").mkdir()
    for change, message in (
        ({"timezone": "Asia/Shangai"}, "'Asia/Shangai' is not a time zone (did you mean 'Asia/Shanghai'?)"),
        ({"spark": {**raw["spark"], "conf": {"spark.sql.session.timeZone": "UTC"}}}, "declare the time zone once, as `timezone:`"),
        ({"timezone": None}, "timezone"),
    ):
        path = tmp_path / "conf" / "bad.yaml"
        path.write_text(yaml.safe_dump({**raw, **change}, allow_unicode=True))
        with pytest.raises(ConfigError) as err:
            load_settings(path)
        assert message in str(err.value) and "bad.yaml" in str(err.value)
    path.write_text(yaml.safe_dump({k: v for k, v in raw.items() if k != "timezone"}, allow_unicode=True))
    with pytest.raises(ConfigError, match="timezone: required key is missing"):
        load_settings(path)
