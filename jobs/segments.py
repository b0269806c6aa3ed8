"""spark-submit jobs/segments.py --date 2026-11-22 [--segment NAME] [--conf conf/cluster.yaml]

Same code path as `taglake segments`; see `taglake segments --help` for the arguments.
"""

from _bootstrap import run

if __name__ == "__main__":
    run("segments")
