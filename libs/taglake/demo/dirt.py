"""The dirt of real source data: how clean identifiers get written down in the wild.

Every function takes a clean value and returns what a source system would have stored: the same
phone number in five spellings, e-mail addresses in odd case with stray spaces, placeholders
typed in at shop counters, and the junk tokens ("null", "-1", "") that stand in for "no value".
The ground truth (truth.py) never goes through here.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from taglake.demo.random import Rng, lookup

#: The phone cashiers type when a customer won't give one: thousands of people share it.
COUNTER_PHONE = "13800000000"
#: Other phones that belong to nobody: filler digits and test numbers.
PLACEHOLDER_PHONES = (COUNTER_PHONE, "00000000000", "11111111111", "13900000000", "12345678901")
#: Strings that mean "no value" in id columns (besides NULL).
JUNK_TOKENS = ("null", "-1", "unknown", "")
#: Throw-away addresses typed into web forms.
PLACEHOLDER_EMAILS = ("test@test.com", "none@none.com", "a@a.com")


def phone_spelling(rng: Rng, phone: Column, clean_share: float, salt: str, *keys) -> Column:
    """One real number as different systems store it: "+86 138 1234 5678", "0086-13812345678", ...

    `clean_share` of the rows keep the plain 11 digits; the rest are spread over the other spellings.
    """
    head, middle, tail = F.substring(phone, 1, 3), F.substring(phone, 4, 4), F.substring(phone, 8, 4)
    u = rng.uniform(salt, *keys)
    step = (1.0 - clean_share) / 5
    return (
        F.when(u < clean_share, phone)
        .when(u < clean_share + step, F.concat(F.lit("+86 "), head, F.lit(" "), middle, F.lit(" "), tail))
        .when(u < clean_share + 2 * step, F.concat(F.lit("0086-"), phone))
        .when(u < clean_share + 3 * step, F.concat_ws("-", head, middle, tail))
        .when(u < clean_share + 4 * step, F.concat(F.lit(" "), phone, F.lit(" ")))
        .otherwise(F.concat(F.lit("+86"), phone))
    )


def junk(rng: Rng, salt: str, *keys) -> Column:
    """NULL most of the time, otherwise one of the junk tokens."""
    return rng.pick({None: 0.6, "": 0.15, "null": 0.1, "-1": 0.08, "unknown": 0.07}, salt, *keys)


def placeholder_phone(rng: Rng, salt: str, *keys) -> Column:
    """A phone that belongs to nobody; the counter phone dominates."""
    return rng.pick({COUNTER_PHONE: 0.6, "00000000000": 0.1, "11111111111": 0.1, "13900000000": 0.1,
                     "12345678901": 0.1}, salt, *keys)


def email_spelling(rng: Rng, email: Column, clean_share: float, salt: str, *keys) -> Column:
    """A lower-case address as typed: "Li.Na@Example.com ", "LINA@QQ.COM", " lina@qq.com"."""
    local = F.substring_index(email, "@", 1)
    domain = F.substring_index(email, "@", -1)
    capitalised = F.concat(F.upper(F.substring(local, 1, 1)), F.substring(local, 2, 64), F.lit("@"),
                           F.upper(F.substring(domain, 1, 1)), F.substring(domain, 2, 64))
    u = rng.uniform(salt, *keys)
    step = (1.0 - clean_share) / 4
    return (
        F.when(u < clean_share, email)
        .when(u < clean_share + step, F.concat(capitalised, F.lit(" ")))
        .when(u < clean_share + 2 * step, F.upper(email))
        .when(u < clean_share + 3 * step, F.concat(F.lit(" "), email))
        .otherwise(capitalised)
    )


def placeholder_email(rng: Rng, salt: str, *keys) -> Column:
    return lookup(PLACEHOLDER_EMAILS, rng.below(len(PLACEHOLDER_EMAILS), salt, *keys))
