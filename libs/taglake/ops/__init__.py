"""Operating taglake: clusters, packaging for executors, submissions (no Spark session needed)."""
