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
    _not_one_repeated_digit(value, "CPF")
    return value


def check_cnpj(value: str) -> str:
    """A 14-digit CNPJ with valid check digits."""
    if len(value) != 14 or not value.isdigit():
        raise FormatError("CNPJ must be exactly 14 digits")
    if not cnpj.is_valid(value):
        raise CheckDigitError("CNPJ check digits do not match")
    _not_one_repeated_digit(value, "CNPJ")
    return value


def _not_one_repeated_digit(value: str, kind: str) -> None:
    # 111.111.111-11 passes the check-digit arithmetic, but the Receita Federal issues no such number;
    # like a wrong check digit it is refused in production and accepted in sandbox.
    if len(set(value)) == 1:
        raise CheckDigitError(f"a {kind} made of one repeated digit is not a real {kind}")


def check_cpf_or_cnpj(value: str) -> str:
    """A CPF (11 digits) or a CNPJ (14 digits)."""
    if len(value) == 11:
        return check_cpf(value)
    if len(value) == 14:
        return check_cnpj(value)
    raise FormatError("must be a CPF (11 digits) or a CNPJ (14 digits)")
