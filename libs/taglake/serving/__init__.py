"""Serving the tag tables to BI tools: the shared metastore (a local PostgreSQL server and the move
from Derby), the SQL endpoint (Spark's HiveServer2) and the BI databases it exposes."""
