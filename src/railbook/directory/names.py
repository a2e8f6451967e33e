"""Comparing institution names the way people write them: accents, case, spacing and punctuation aside."""

from __future__ import annotations

import unicodedata

# Turkish dotless i has no decomposition to i; everyone who types without it writes i.
_DOTLESS_I = str.maketrans({"\u0131": "i"})


def _words(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.translate(_DOTLESS_I)).casefold()
    kept = "".join(char if char.isalnum() else " " for char in decomposed if not unicodedata.combining(char))
    return " ".join(kept.split())


def name_key(name: str) -> str:
    """Lower-case letters and digits without accents: the form names are looked up by."""
    return _words(name).replace(" ", "")


def same_institution(one: str, other: str) -> bool:
    """Whether one name is the other or a shorter form of it: every word of one is a word of the other."""
    # "Turkiye Is Bankasi" is the registry's "Turkiye Is Bankasi A.S." (with its accents); it is not
    # "Turkiye Cumhuriyeti Ziraat Bankasi A.S." though most words agree (a fuzzy score said it was).
    one_words, other_words = (set(_words(name).split()) - _INITIALS for name in (one, other))
    return bool(one_words and other_words) and (one_words <= other_words or other_words <= one_words)


# Single letters are the dotted legal forms ("A.Ş.", "S.A.") and carry no name.
_INITIALS = set("abcdefghijklmnopqrstuvwxyz0123456789")
