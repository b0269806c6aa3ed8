"""Validate + compile time of the tag library at 1,000 / 10,000 / 50,000 generated tags (no Spark).

    .venv/bin/python -m benchmarks.compile            # 1k, 10k, 50k
    .venv/bin/python -m benchmarks.compile --tags 50000

Each library is the shipped subjects, sources and hand-written tags plus synthetic families (static
dimension values, so no lock file or Spark is involved) sized to the target. Each size runs in a
fresh Python process so import and cache effects are the same for all. Target: 50,000 tags in
under 10 seconds.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
WINDOWS = [7, 30, 90, 180, 365, "all"]
METRICS = {
    "spend": {"agg": "sum", "value": "line_amount - refund_amount", "display": "消费金额"},
    "orders": {"agg": "count_distinct", "value": "order_id", "display": "订单数"},
    "units": {"agg": "sum", "value": "qty - refunded_qty", "display": "件数", "type": "bigint"},
    "discount": {"agg": "sum", "value": "line_discount", "display": "折扣"},
    "top": {"agg": "max", "value": "unit_price", "display": "最高件单价"},
}


def make_library(target: int, into: Path) -> int:
    """Shipped library without its families + synthetic families totalling ~`target` tags."""
    shutil.copytree(ROOT / "tagdefs", into, ignore=shutil.ignore_patterns("families.yaml", "families.lock.yaml", "segments", "identity.yaml"))
    per_value = len(WINDOWS) * len(METRICS)          # 30 tags per dimension value
    families, made, i = [], 0, 0
    while made < target:
        values = min(500, max(1, (target - made) // per_value))
        families.append({
            "name": f"synthetic_{i}", "subject": "member", "kind": "stat", "source": "order_lines",
            "owner": "bench@example.cn", "business_line": "基准", "category": ["基准"], "status": "online",
            "by": {"dim": {"column": "category_l3", "values": [f"v{i}_{j:04d}" for j in range(values)]}},
            "windows": WINDOWS, "metrics": METRICS,
            "tag_name": f"s{i}_{{dim}}_{{metric}}_{{window}}",
            "display_name": "{window}{dim}{metric}", "description": "{window}{dim}的{metric}（基准测试）",
        })
        made += values * per_value
        i += 1
    (into / "tags" / "member" / "synthetic.yaml").write_text(yaml.safe_dump({"families": families}, allow_unicode=True))
    return made


def measure(root: Path) -> dict:
    """Run in a fresh interpreter: import, load + validate, compile."""
    code = f"""
import json, time
t0 = time.perf_counter()
from taglake.tagdefs import load_library
from taglake.compiler import compile_library
t1 = time.perf_counter()
lib = load_library({str(root)!r})
t2 = time.perf_counter()
plan = compile_library(lib)
t3 = time.perf_counter()
print(json.dumps({{"tags": len(lib.all_tags()), "compiled": plan.tag_count(), "import": t1 - t0, "validate": t2 - t1, "compile": t3 - t2}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tags", type=int, nargs="*", default=[1_000, 10_000, 50_000])
    args = parser.parse_args(argv)
    rows = []
    for target in args.tags:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "tagdefs"
            make_library(target, root)
            result = measure(root)
        total = result["validate"] + result["compile"]
        rows.append((result["tags"], result["validate"], result["compile"], total, total / result["tags"] * 1e6, result["import"]))
    print("\nvalidate + compile, no Spark (seconds)")
    print(f"{'tags':>8} {'validate':>9} {'compile':>8} {'total':>7} {'µs/tag':>7} {'imports':>8}")
    for tags, v, c, total, per, imp in rows:
        print(f"{tags:>8,} {v:>9.2f} {c:>8.2f} {total:>7.2f} {per:>7.0f} {imp:>8.2f}")
    big = [r for r in rows if r[0] >= 50_000]
    if big:
        verdict = "meets" if big[-1][3] < 10 else "misses"
        print(f"\n{big[-1][0]:,} tags: {big[-1][3]:.2f} s — {verdict} the < 10 s target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
