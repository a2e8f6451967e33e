"""The operators' password checks cost the same whether or not the name exists."""

from __future__ import annotations

from argon2 import PasswordHasher

from railbook.console.operators import UNKNOWN_NAME_HASH, needs_rehash


def test_the_unknown_name_hash_has_the_parameters_passwords_are_hashed_with() -> None:
    # An unknown name is checked against this hash: with cheaper parameters than a real operator's,
    # a sign-in would answer faster for names that do not exist.
    assert not needs_rehash(UNKNOWN_NAME_HASH)
    assert needs_rehash(PasswordHasher(time_cost=1, memory_cost=8192).hash("a password of its own"))


def test_the_unknown_name_hash_is_a_real_argon2_hash() -> None:
    assert PasswordHasher().verify(UNKNOWN_NAME_HASH, "no such operator")
