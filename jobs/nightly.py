"""spark-submit jobs/nightly.py [--conf conf/cluster.yaml] ... — the whole nightly refresh (every stage, in order).

Same code path as `taglake nightly`; see `taglake nightly --help` for the arguments.
"""

from _bootstrap import run

if __name__ == "__main__":
    run("nightly")
