"""Identifiers in tag expressions: `canonical_id('<type>', value)` is the identifier as OneID reads
it (the rules of tagdefs/identity.yaml for that type: trimmed, cleaned, validated), NULL when it is
missing, malformed or a placeholder ('', 'null', '-1', 00000000000 ...).

The call is replaced by the canonical form's SQL when the library is loaded (the same text the
OneID job and the engine's key resolution run, from `taglake.identity.normalize`), so the compiled
plan and `taglake explain` show exactly what runs. A bare `<identifier column> IS [NOT] NULL` lets
placeholders through as present; the loader rejects it on columns declared as identifiers.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path

import sqlglot
from sqlglot import exp

from taglake.core.expressions import FUNCTION, ExpressionProblem, Parsed, parse_checked, quote_identifier
from taglake.identity.config import IDENTITY_FILE, IdentityConfig, load_identity_config
from taglake.identity.procedure import canonical_sql


def rules_for(root: Path) -> IdentityConfig:
    """The identifier rules a library uses: `<root>/identity.yaml`, or taglake's defaults."""
    path = Path(root) / IDENTITY_FILE
    return _rules(str(path), path.stat().st_mtime if path.is_file() else None)


@functools.lru_cache(maxsize=8)
def _rules(path: str, mtime: float | None) -> IdentityConfig:
    return load_identity_config(path) if mtime is not None else IdentityConfig.default()


def parse(text: str, root: Path) -> Parsed:
    """A checked expression with its canonical_id(...) calls expanded (for code that re-parses
    definitions the loader already validated: the compiler, `taglake discover`)."""
    return expand(parse_checked(text), rules_for(root))


def _calls(tree: exp.Expression) -> list[exp.Anonymous]:
    return [n for n in tree.find_all(exp.Anonymous) if str(n.this).lower() == FUNCTION]


def id_type_of(call: exp.Anonymous, text: str, known: tuple[str, ...]) -> str:
    """The identifier type a call names; a readable problem when the call is malformed."""
    args = call.expressions
    if len(args) != 2 or not (isinstance(args[0], exp.Literal) and args[0].is_string):
        raise ExpressionProblem(
            f"{text!r}: {FUNCTION}() takes an identifier type and a value, e.g. {FUNCTION}('phone', receiver_phone)")
    id_type = args[0].this
    if id_type not in known:
        raise ExpressionProblem(f"{text!r}: unknown identifier type {id_type!r} (types: {', '.join(sorted(known))})")
    return id_type


def expand(parsed: Parsed, config: IdentityConfig) -> Parsed:
    """`parsed` with every canonical_id(...) call replaced by its canonical SQL (no call: unchanged)."""
    calls = _calls(parsed.tree)
    if not calls:
        return parsed
    placeholder = "__canonical_input__"

    def swap(node: exp.Expression) -> exp.Expression:
        if not (isinstance(node, exp.Anonymous) and str(node.this).lower() == FUNCTION):
            return node
        id_type = id_type_of(node, parsed.text, config.id_types)
        value = node.expressions[1]
        replacement = sqlglot.parse_one(canonical_sql(id_type, quote_identifier(placeholder), config), read="spark")
        # The value expression goes where the placeholder column is (a column, or any expression).
        replacement = replacement.transform(
            lambda n: exp.Paren(this=value.copy()) if isinstance(n, exp.Column) and n.name == placeholder else n)
        return exp.Paren(this=replacement)

    tree = parsed.tree.copy().transform(swap)
    return Parsed(parsed.text, tree, parsed.columns)


def presence_problems(parsed: Parsed, identifier_columns: Mapping[str, str]) -> list[str]:
    """`col IS [NOT] NULL` on a column declared as an identifier (column -> type): placeholders such
    as '' or 'null' would count as present."""
    problems = []
    for node in parsed.tree.find_all(exp.Is):
        column = node.this
        if isinstance(column, exp.Column) and isinstance(node.expression, exp.Null) and column.name in identifier_columns:
            name, id_type = column.name, identifier_columns[column.name]
            problems.append(
                f"{parsed.text!r} tests whether identifier column {name!r} is there with IS NULL / IS NOT NULL, "
                f"which counts placeholders such as '' and 'null' as present; "
                f"write {FUNCTION}('{id_type}', {name}) IS NOT NULL (NULL when missing, malformed or a placeholder)")
    return problems
