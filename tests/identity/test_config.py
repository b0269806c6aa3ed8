"""identity.yaml: the shipped file loads; every problem is reported at once with file, line, key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from taglake.errors import InputError
from taglake.identity.config import DEFAULT_ID_TYPES as ID_TYPES
from taglake.identity.config import IdentityConfig, IdentityConfigError, load_identity_config
from taglake.identity.job import identity_config_path
from taglake.settings import load_settings


def test_shipped_file_declares_the_demo_sources():
    config = load_identity_config(identity_config_path(load_settings("local")))
    assert {s.table for s in config.sources} == {
        "src_crm_members", "src_wechat_users", "src_app_devices", "src_app_events", "src_web_sessions", "src_orders"}
    assert set(ID_TYPES) <= set(config.id_types)
    assert "13800000000" in config.blocklist("phone").exact
    assert config.guards.on_oversize == "isolate"


def test_defaults_cover_every_known_type():
    config = IdentityConfig.default()
    assert config.id_types == ID_TYPES
    assert {"null", "-1", "unknown", ""} <= set(config.blocklist("member_id").exact)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "identity.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_all_problems_reported_together_with_lines(tmp_path):
    path = write(tmp_path, """\
version: 1
types:
  phone:
    pattern: '^1[3-9'
    lowr: true
sources:
  - name: a
    table: src_a
    identifiers:
      - {column: x, type: phon}
  - name: a
    table: "bad table"
    where: "x = = 1"
    identifiers: []
guards:
  caps:
    - {node: device_id, neighbour: member, max: 0}
  on_oversize: explode
""")
    with pytest.raises(IdentityConfigError) as caught:
        load_identity_config(path)
    text = str(caught.value)
    assert text.startswith(f"10 problems in {path}")
    expected = [
        f"{path}:4 types.phone.pattern: '^1[3-9' is not a valid regular expression",
        f"{path}:5 types.phone.lowr: unknown key 'lowr' (allowed: trim, remove, strip_prefix, lower, pattern, blocklist)",
        f"{path}:10 sources[0].identifiers[0].type: 'phon' is not an identifier type (allowed: cookie_id, device_id,",
        f"{path}:11 sources[1].name: 'a' is already used by sources[0]",
        f"{path}:12 sources[1].table: 'bad table' is not valid (allowed: a table name or database.table",
        f"{path}:13 sources[1].where: cannot parse 'x = = 1'",
        f"{path}:14 sources[1].identifiers: [] is not valid: List should have at least 1 item",
        f"{path}:17 guards.caps[0].max: 0 is not valid: Input should be greater than or equal to 1",
        f"{path}:17 guards.caps[0].neighbour: 'member' is not an identifier type",
        f"{path}:18 guards.on_oversize: 'explode' is not valid: Input should be 'isolate', 'keep' or 'fail'",
    ]
    for line in expected:
        assert line in text, line
    assert isinstance(caught.value, InputError)


def test_unknown_top_level_key_and_bad_yaml(tmp_path):
    with pytest.raises(IdentityConfigError, match=r"identity.yaml:2 sourcse: unknown key 'sourcse' \(allowed: version, types, sources"):
        load_identity_config(write(tmp_path, "version: 1\nsourcse: []\n"))
    with pytest.raises(IdentityConfigError, match=r"identity.yaml:3: not valid YAML"):
        load_identity_config(write(tmp_path, "version: 1\nsources: [\n"))
    with pytest.raises(IdentityConfigError, match=r"identity.yaml:3 guards.caps: duplicate key"):
        load_identity_config(write(tmp_path, "guards:\n  caps: []\n  caps: []\n"))


def test_unsafe_filters_are_rejected(tmp_path):
    path = write(tmp_path, """\
sources:
  - name: s
    table: t
    where: "id IN (SELECT id FROM other)"
    identifiers: [{column: id, type: member_id}]
  - name: r
    table: t
    where: "rand() < 0.5"
    identifiers: [{column: id, type: member_id}]
""")
    with pytest.raises(IdentityConfigError) as caught:
        load_identity_config(path)
    assert "contains a subquery" in str(caught.value) and "calls rand(), which is non-deterministic" in str(caught.value)


def test_custom_type_and_missing_file(tmp_path):
    config = load_identity_config(write(tmp_path, """\
types:
  alipay_id: {pattern: '^2088\\d{12}$'}
sources:
  - {name: pay, table: src_pay, identifiers: [{column: uid, type: alipay_id}, {column: phone, type: phone}]}
"""))
    assert "alipay_id" in config.id_types and config.rule("phone").pattern == r"^1[3-9]\d{9}$"
    with pytest.raises(InputError, match="identity configuration not found"):
        load_identity_config(tmp_path / "nope.yaml")


def test_nightly_stage_passes_the_run_through(monkeypatch):
    """pipeline.py calls `taglake.identity.job:run_stage(run)`; it reports integer counts."""
    import datetime as dt

    from taglake.identity import job
    from taglake.pipeline import STAGES, RunContext

    seen = {}

    def fake_run(spark, settings, date, *, rebuild=False, run_id=None, config=None):
        seen.update(date=date, rebuild=rebuild, run_id=run_id)
        return {k: 1 for k in ("identifiers_in", "identifiers_out", "dropped_invalid", "dropped_blocked",
                               "capped_nodes", "links", "components", "largest_component", "cc_rounds")}

    monkeypatch.setattr(job, "run_oneid", fake_run)
    stage = next(s for s in STAGES if s.name == "oneid")
    run = RunContext(spark=None, settings=load_settings("local"), date=dt.date(2026, 11, 22), options={"rebuild": True})
    counts = stage.load()(run)
    assert seen == {"date": dt.date(2026, 11, 22), "rebuild": True, "run_id": run.run_id}
    assert counts["components"] == 1 and all(isinstance(v, int) for v in counts.values())
