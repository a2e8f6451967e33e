"""Every accountType model in one discriminated union, and lookups by accountType."""

from __future__ import annotations

import functools
from typing import Annotated, Any, Union

from pydantic import Field, TypeAdapter

from railbook.external_accounts.rails import (
    africa_banks,
    canada,
    crypto_wallets,
    iban,
    latam,
    legacy,
    lightning,
    mobile_money,
    south_asia,
    swift_banks,
    uk,
    us,
)
from railbook.external_accounts.rails.base import AccountInfo

FAMILIES = [
    us, uk, canada, iban, swift_banks, latam, south_asia, africa_banks, mobile_money, crypto_wallets, lightning, legacy,
]  # fmt: skip

MODELS: dict[str, type[AccountInfo]] = {}
for family in FAMILIES:
    for model in family.MODELS:
        account_type = model.model_fields["account_type"].annotation.__args__[0]
        if account_type in MODELS:
            raise RuntimeError(f"{account_type} is defined twice")
        MODELS[account_type] = model


@functools.cache
def account_info_adapter() -> TypeAdapter[Any]:
    """The union of every model keyed on accountType (built once, at import of the first request)."""
    union: Any = Union[tuple(MODELS.values())]  # noqa: UP007 - a union built at run time needs this form
    return TypeAdapter(Annotated[union, Field(discriminator="account_type")])


def model_for(account_type: Any) -> type[AccountInfo] | None:
    """The model for an accountType value, if it is one."""
    return MODELS.get(account_type) if isinstance(account_type, str) else None
