"""spark-submit jobs/demo_data.py [--conf conf/cluster.yaml] ... — write the demo source tables.

Same code path as `taglake demo-data`; see `taglake demo-data --help` for the arguments.
"""

from _bootstrap import run

if __name__ == "__main__":
    run("demo-data")
