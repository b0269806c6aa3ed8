"""spark-submit jobs/serve_sql.py [--conf conf/cluster.yaml] [--port 10000] — the SQL endpoint (HiveServer2)
for BI tools, with the BI databases published first.

Same code path as `taglake serve-sql`. On a cluster put the Delta jars, taglake's reader
(dist/taglake-wide.jar) and the metastore's JDBC driver on the driver class path as well as in
--jars: spark-submit --driver-class-path ... (README, "BI").
"""

from _bootstrap import run

if __name__ == "__main__":
    run("serve-sql")
