"""YAML loading that remembers where every mapping and key came from.

Mappings load as `Located` dicts carrying the file and the line of each key, so a problem found
long after parsing (an unknown tag referenced in a rule, say) can still point at the exact line.
libyaml's C parser is used when present; only mapping construction is customised.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

try:  # the C parser is ~10x faster on large libraries
    _BaseLoader = yaml.CSafeLoader  # type: ignore[attr-defined]
except AttributeError:  # pragma: no cover - libyaml missing
    _BaseLoader = yaml.SafeLoader


class Located(dict):
    """A mapping from YAML with `file`, `line` (of the mapping) and `key_lines` (line of each key)."""

    file: str = ""
    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str | int | None) -> int:
        if key is None:
            return self.line
        return self.key_lines.get(str(key), self.line)


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    source_name = ""


# YAML 1.1 reads on/off/yes/no as booleans (a lookup's `on: sku` key would become True);
# keep YAML 1.2's rule: only true/false are booleans.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
for _first in "tTfF":
    _Loader.yaml_implicit_resolvers.setdefault(_first, []).append(
        ("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")))


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> Located:
    loader.flatten_mapping(node)
    mapping = Located()
    mapping.file = loader.source_name
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) or key is None:
            raise yaml.constructor.ConstructorError(
                None, None, f"mapping keys must be plain scalars, found {type(key).__name__}", key_node.start_mark)
        key = str(key)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class YamlProblem(Exception):
    def __init__(self, file: str, line: int, message: str):
        super().__init__(f"{file}:{line}: {message}")
        self.file, self.line, self.message = file, line, message


def load_text(text: str, source_name: str) -> Any:
    loader = _Loader(text)
    loader.source_name = source_name
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        reason = " ".join(filter(None, [exc.context, exc.problem])) or str(exc)
        raise YamlProblem(source_name, line, f"not valid YAML: {reason}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(source_name, 0, f"not valid YAML: {exc}") from None
    finally:
        loader.dispose()


def load_file(path: Path, display_root: Path | None = None) -> Any:
    name = str(path.relative_to(display_root)) if display_root and path.is_relative_to(display_root) else str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlProblem(name, 0, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return load_text(text, name)
