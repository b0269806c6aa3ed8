"""YAML loading that remembers where every mapping and key came from (YAML 1.2 booleans).

Mappings load as `Located` dicts carrying the file and the line of each key, so a problem found
long after parsing (an unknown tag referenced in a rule, say) can still point at the exact line.
libyaml's C parser is used when present; only mapping construction is customised.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

_BaseLoader: type[yaml.SafeLoader]
try:  # the C parser is ~10x faster on large libraries
    _BaseLoader = yaml.CSafeLoader  # type: ignore[assignment]
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


def line_at(root: Any, path: Iterable[Any]) -> int:
    """Line of the deepest mapping key along `path` (keys and list indexes) from a loaded root."""
    line = getattr(root, "line", 0)
    node = root
    for part in path:
        if isinstance(node, Located):
            line = node.line_of(part)
            node = node.get(str(part))
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            line = getattr(node, "line", line)
        else:
            break
    return line


def path_text(path: Iterable[Any]) -> str:
    """`a.b[2].c` for the key path ("a", "b", 2, "c")."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    source_name = ""
    #: Key path of the node being constructed (for a duplicate key's message).
    path: list[Any]


class _Duplicate(yaml.constructor.ConstructorError):
    def __init__(self, path: list[Any], mark: yaml.Mark):
        super().__init__(None, None, "duplicate key (each key may appear once)", mark)
        self.path = list(path)


# YAML 1.1 reads on/off/yes/no as booleans (a lookup's `on: sku` key would become True);
# keep YAML 1.2's rule: only true/false are booleans.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
for _first in "tTfF":
    _Loader.yaml_implicit_resolvers.setdefault(_first, []).append(
        ("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"))
    )


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
                None, None, f"mapping keys must be plain scalars, found {type(key).__name__}", key_node.start_mark
            )
        key = str(key)
        if key in mapping:
            raise _Duplicate([*loader.path, key], key_node.start_mark)
        loader.path.append(key)
        mapping[key] = loader.construct_object(value_node, deep=True)
        loader.path.pop()
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode, deep: bool = False) -> list[Any]:
    items = []
    for index, item in enumerate(node.value):
        loader.path.append(index)
        items.append(loader.construct_object(item, deep=True))
        loader.path.pop()
    return items


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


class YamlProblem(Exception):
    def __init__(self, file: str, line: int, message: str, path: str = ""):
        super().__init__(f"{file}:{line} {path}: {message}" if path else f"{file}:{line}: {message}")
        self.file, self.line, self.message, self.path = file, line, message, path


def load_text(text: str, source_name: str) -> Any:
    loader = _Loader(text)
    loader.source_name = source_name
    loader.path = []
    try:
        return loader.get_single_data()
    except _Duplicate as exc:
        mark = exc.problem_mark
        raise YamlProblem(source_name, mark.line + 1 if mark else 0, exc.problem or "duplicate key", path_text(exc.path)) from None
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
