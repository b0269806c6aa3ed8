"""Tag kinds are discovered, not listed: every kind module has a builder, messages list them all."""

from __future__ import annotations

from taglake.compiler.builders import load_builders
from taglake.tagdefs.kinds import tag_kinds


def test_every_kind_has_a_builder_and_a_shape():
    kinds = tag_kinds()
    assert list(kinds) == ["attribute", "stat", "recency", "preference", "bucket", "rule", "composite", "cross", "model"]
    assert set(kinds) <= set(load_builders())
    for name, model in kinds.items():
        assert model.model_fields["kind"].annotation.__args__ == (name,)
        assert model.default_layer in ("base", "business", "application")
