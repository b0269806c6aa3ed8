"""Tag definitions: YAML under tagdefs/ -> validated `Library`."""

from taglake.core.problems import Problem, TagDefError
from taglake.tagdefs.library import Library, Tag, TagRef
from taglake.tagdefs.loader import SchemaProvider, load_library

__all__ = ["Library", "Problem", "SchemaProvider", "Tag", "TagDefError", "TagRef", "load_library"]
