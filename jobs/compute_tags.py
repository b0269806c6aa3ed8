"""spark-submit jobs/compute_tags.py --subject member --date 2026-11-22 [--conf conf/cluster.yaml]

Same code path as `taglake tags`; see `taglake tags --help` for the arguments.
"""

from _bootstrap import run

if __name__ == "__main__":
    run("tags")
