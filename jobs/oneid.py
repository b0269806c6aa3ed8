"""spark-submit jobs/oneid.py --date YYYY-MM-DD [--rebuild] [--conf conf/cluster.yaml] — OneID only.

Same code path as `taglake oneid`; see `taglake oneid --help` for the arguments.
"""

from _bootstrap import run

if __name__ == "__main__":
    run("oneid")
