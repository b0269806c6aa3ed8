"""Compile a validated tag library into a Plan of Spark SQL steps."""

from taglake.compiler.compile import compile_library, contribution, source_read

__all__ = ["compile_library", "contribution", "source_read"]
