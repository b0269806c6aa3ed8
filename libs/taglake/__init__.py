"""taglake: a tag platform on Apache Spark and Delta Lake.

Data flows one way: tagdefs (YAML) -> validated model -> compiled plan -> Spark jobs -> Delta tables.
"""

__version__ = "0.1.0"
