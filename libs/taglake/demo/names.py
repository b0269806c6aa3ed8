"""Chinese names (and their pinyin, for e-mail addresses), drawn per person or staff member."""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from taglake.demo import vocab
from taglake.demo.random import lookup, weighted_slots
from taglake.demo.world import World


class Names:
    """A family name by frequency, then one or two given-name characters by gender."""

    def __init__(self, world: World) -> None:
        self.rng = world.rng
        self.family_slots = weighted_slots([w for _, _, w in vocab.FAMILY_NAMES], 2048)

    def _family_index(self, salt: str, *keys) -> Column:
        return lookup(self.family_slots, self.rng.below(len(self.family_slots), salt + ".family", *keys))

    def _given(self, gender: Column, salt: str, *keys) -> tuple[Column, Column]:
        """(characters, pinyin) of a one- or two-character given name."""
        parts = []
        for position in (1, 2):
            f_i = self.rng.below(len(vocab.GIVEN_CHARS_F), f"{salt}.given{position}", *keys)
            m_i = self.rng.below(len(vocab.GIVEN_CHARS_M), f"{salt}.given{position}", *keys)
            chars = F.when(gender == "M", lookup([c for c, _ in vocab.GIVEN_CHARS_M], m_i)).otherwise(
                lookup([c for c, _ in vocab.GIVEN_CHARS_F], f_i))
            pinyin = F.when(gender == "M", lookup([p for _, p in vocab.GIVEN_CHARS_M], m_i)).otherwise(
                lookup([p for _, p in vocab.GIVEN_CHARS_F], f_i))
            parts.append((chars, pinyin))
        single = self.rng.chance(0.3, f"{salt}.single", *keys)
        chars = F.when(single, parts[0][0]).otherwise(F.concat(parts[0][0], parts[1][0]))
        pinyin = F.when(single, parts[0][1]).otherwise(F.concat(parts[0][1], parts[1][1]))
        return chars, pinyin

    def parts(self, gender: Column, salt: str, *keys) -> dict[str, Column]:
        family = self._family_index(salt, *keys)
        given, given_pinyin = self._given(gender, salt, *keys)
        return {
            "family": lookup([c for c, _, _ in vocab.FAMILY_NAMES], family),
            "family_pinyin": lookup([p for _, p, _ in vocab.FAMILY_NAMES], family),
            "given": given,
            "given_pinyin": given_pinyin,
        }

    def full_name(self, gender: Column, salt: str, *keys) -> Column:
        p = self.parts(gender, salt, *keys)
        return F.concat(p["family"], p["given"])
