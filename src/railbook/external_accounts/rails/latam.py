"""Latin America and the Caribbean: MXN (SPEI), BRL (PIX), COP, GTQ, HTG, JMD and SLV."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import Field, ValidationInfo, field_validator
from stdnum.br import cnpj, cpf

from railbook.external_accounts.rails.base import (
    AccountInfo,
    EitherOr,
    FieldError,
    Rail,
    bank_or_mobile,
    bank_or_mobile_choice,
)
from railbook.external_accounts.rails.beneficiaries import (
    CopBeneficiaryChoice,
    FiatBeneficiary,
    GtqBeneficiaryChoice,
    JmdBeneficiaryChoice,
)
from railbook.external_accounts.rails.checks import checked, run_check
from railbook.external_accounts.rails.fields import (
    COMPACT_PHONE,
    PHONE_PATTERN,
    AccountNumber,
    BankAccountType,
    BankName,
    phone_of,
)
from railbook.kit.identifiers import FormatError
from railbook.kit.identifiers.clabe import check_clabe
from railbook.kit.identifiers.cpf_cnpj import check_cnpj, check_cpf, check_cpf_or_cnpj
from railbook.kit.identifiers.phone import check_phone

BANK_AND_MOBILE = ("BANK_TRANSFER", "MOBILE_MONEY")
# The DICT (PIX directory) form of a random key (EVP): a UUID, stored lower-case.
EVP_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

Clabe = Annotated[str, Field(min_length=18, max_length=18, pattern=r"^[0-9]{18}$"), checked(check_clabe)]
PixKey = Annotated[str, Field(min_length=1, max_length=77)]
PixKeyType = Literal["CPF", "CNPJ", "EMAIL", "PHONE", "RANDOM"]
TaxId = Annotated[str, Field(min_length=11, max_length=14, pattern=r"^[0-9]{11,14}$"), checked(check_cpf_or_cnpj)]
BranchCode = Annotated[str, Field(min_length=5, max_length=5, pattern=r"^[0-9]{5}$")]
# The contract's generic phone pattern, plus a number valid for the country.
CoPhone = Annotated[str, Field(min_length=7, max_length=15, pattern=PHONE_PATTERN), phone_of("CO"), COMPACT_PHONE]
HtPhone = Annotated[str, Field(min_length=7, max_length=15, pattern=PHONE_PATTERN), phone_of("HT"), COMPACT_PHONE]
SvPhone = Annotated[str, Field(min_length=7, max_length=15, pattern=PHONE_PATTERN), phone_of("SV"), COMPACT_PHONE]


class MxnAccount(AccountInfo):
    """`MxnExternalAccountCreateInfo`: a CLABE, paid over SPEI."""

    rail: ClassVar[Rail] = Rail(currencies=frozenset({"MXN"}), payment_rails=("SPEI",), primary=("clabeNumber",))

    account_type: Literal["MXN_ACCOUNT"]
    clabe_number: Clabe
    beneficiary: FiatBeneficiary


def check_pix_key(key_type: str, value: str) -> str:
    """A PIX key in the directory's (DICT) form for its type; CPF/CNPJ punctuation is dropped."""
    if key_type == "CPF":
        return check_cpf(cpf.compact(value))
    if key_type == "CNPJ":
        return check_cnpj(cnpj.compact(value))
    if key_type == "PHONE":
        return check_phone(value, country="BR")
    if key_type == "EMAIL":
        try:
            validate_email(value, check_deliverability=False)
        except EmailNotValidError as exc:
            raise FormatError(f"an EMAIL key must be an email address: {exc}") from exc
        return value
    if not EVP_PATTERN.match(value.lower()):
        raise FormatError("a RANDOM key (EVP) must be a UUID: 8-4-4-4-12 hexadecimal digits")
    return value.lower()


class BrlAccount(AccountInfo):
    """`BrlExternalAccountCreateInfo`: a PIX key of the declared type and the holder's CPF or CNPJ."""

    rail: ClassVar[Rail] = Rail(currencies=frozenset({"BRL"}), payment_rails=("PIX",), primary=("pixKey",))

    account_type: Literal["BRL_ACCOUNT"]
    # Declared before pixKey so that the key's validator can read it.
    pix_key_type: PixKeyType
    pix_key: PixKey
    tax_id: TaxId
    beneficiary: FiatBeneficiary

    @field_validator("pix_key")
    @classmethod
    def _key_matches_type(cls, value: str, info: ValidationInfo) -> str:
        key_type = info.data.get("pix_key_type")
        if key_type is None:
            # pixKeyType itself failed and is reported; there is nothing to match the key against.
            return value
        return run_check(lambda text: check_pix_key(key_type, text), value, info)


class CopAccount(AccountInfo):
    """`CopExternalAccountCreateInfo`: a bank account, or a Nequi/Daviplata wallet by phone number."""

    rail: ClassVar[Rail] = Rail(
        currencies=frozenset({"COP"}), payment_rails=BANK_AND_MOBILE, primary=("accountNumber", "phoneNumber")
    )

    account_type: Literal["COP_ACCOUNT"]
    either_or: ClassVar[EitherOr | None] = bank_or_mobile_choice()
    mobile_providers: ClassVar[tuple[str, ...]] = ("Nequi", "Daviplata")
    account_number: AccountNumber | None = None
    bank_account_type: BankAccountType | None = None
    bank_name: BankName
    phone_number: CoPhone | None = None
    beneficiary: CopBeneficiaryChoice

    @classmethod
    def cross_rules(cls, raw: dict[str, Any]) -> list[FieldError]:
        """Bank transfer: accountNumber + bankAccountType; mobile money: phoneNumber at Nequi or Daviplata."""
        return bank_or_mobile(raw, cls.either_or, bank_needs=("bankAccountType",), providers=cls.mobile_providers)


class GtqAccount(AccountInfo):
    """`GtqExternalAccountCreateInfo`: a Guatemalan bank account."""

    rail: ClassVar[Rail] = Rail(currencies=frozenset({"GTQ"}), payment_rails=("BANK_TRANSFER",))

    account_type: Literal["GTQ_ACCOUNT"]
    account_number: AccountNumber
    bank_account_type: BankAccountType
    bank_name: BankName
    beneficiary: GtqBeneficiaryChoice


class HtgAccount(AccountInfo):
    """`HtgExternalAccountCreateInfo`: a Haitian mobile-money wallet, by phone number only."""

    rail: ClassVar[Rail] = Rail(
        currencies=frozenset({"HTG"}), payment_rails=("MOBILE_MONEY",), primary=("phoneNumber",)
    )

    account_type: Literal["HTG_ACCOUNT"]
    phone_number: HtPhone
    beneficiary: FiatBeneficiary


class JmdAccount(AccountInfo):
    """`JmdExternalAccountCreateInfo`: a Jamaican bank account with its 5-digit branch code."""

    rail: ClassVar[Rail] = Rail(currencies=frozenset({"JMD"}), payment_rails=("BANK_TRANSFER",))

    account_type: Literal["JMD_ACCOUNT"]
    account_number: AccountNumber
    branch_code: BranchCode
    bank_account_type: BankAccountType
    bank_name: BankName
    beneficiary: JmdBeneficiaryChoice


class SlvAccount(AccountInfo):
    """`SlvExternalAccountCreateInfo`: El Salvador (in USD), a bank account or a mobile wallet."""

    rail: ClassVar[Rail] = Rail(
        currencies=frozenset({"USD"}),
        payment_rails=BANK_AND_MOBILE,
        primary=("accountNumber", "phoneNumber"),
        countries=frozenset({"SV"}),
    )

    account_type: Literal["SLV_ACCOUNT"]
    either_or: ClassVar[EitherOr | None] = bank_or_mobile_choice()
    bank_name: BankName | None = None
    account_number: AccountNumber | None = None
    bank_account_type: BankAccountType | None = None
    phone_number: SvPhone | None = None
    beneficiary: FiatBeneficiary

    @classmethod
    def cross_rules(cls, raw: dict[str, Any]) -> list[FieldError]:
        """Bank transfer: bankName + accountNumber + bankAccountType; mobile money: phoneNumber alone."""
        bank_fields = ("bankName", "bankAccountType")
        return bank_or_mobile(raw, cls.either_or, bank_needs=bank_fields, bank_only=bank_fields)


MODELS: list[type[AccountInfo]] = [MxnAccount, BrlAccount, CopAccount, GtqAccount, HtgAccount, JmdAccount, SlvAccount]
