"""The embedded runtime: Java, the JVM-side jars and the SparkSession factory."""

from taglake.runtime.session import build_session, stop_session

__all__ = ["build_session", "stop_session"]
