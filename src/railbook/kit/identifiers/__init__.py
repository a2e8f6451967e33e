"""Pure identifier checks. Each raises FormatError (always fatal) or CheckDigitError (a failed checksum)."""

from __future__ import annotations


class IdentifierError(ValueError):
    """An identifier that fails a rule; the message names the rule."""


class FormatError(IdentifierError):
    """Wrong shape: length, characters, structure, country."""


class CheckDigitError(IdentifierError):
    """Right shape, but a checksum or check digit does not match."""
