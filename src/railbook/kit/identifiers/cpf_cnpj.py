"""Brazilian CPF (11 digits) and CNPJ (14 digits) numbers (python-stdnum)."""

from __future__ import annotations

from stdnum.br import cnpj, cpf

from railbook.kit.identifiers import CheckDigitError, FormatError


def check_cpf(value: str) -> str:
    """An 11-digit CPF with valid check digits."""
    if len(value) != 11 or not value.isdigit():
        raise FormatError("CPF must be exactly 11 digits")
    if not cpf.is_valid(value):
        raise CheckDigitError("CPF check digits do not match")
    return value


def check_cnpj(value: str) -> str:
    """A 14-digit CNPJ with valid check digits."""
    if len(value) != 14 or not value.isdigit():
        raise FormatError("CNPJ must be exactly 14 digits")
    if not cnpj.is_valid(value):
        raise CheckDigitError("CNPJ check digits do not match")
    return value


def check_cpf_or_cnpj(value: str) -> str:
    """A CPF (11 digits) or a CNPJ (14 digits)."""
    if len(value) == 11:
        return check_cpf(value)
    if len(value) == 14:
        return check_cnpj(value)
    raise FormatError("must be a CPF (11 digits) or a CNPJ (14 digits)")
