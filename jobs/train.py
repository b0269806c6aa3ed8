"""spark-submit jobs/train.py repurchase_30d_propensity --date 2026-11-22 [--promote] [--conf conf/cluster.yaml]

Same code path as `taglake train`; see `taglake train --help` for the arguments.
"""

from _bootstrap import run

if __name__ == "__main__":
    run("train")
