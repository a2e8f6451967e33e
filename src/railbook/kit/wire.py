"""Wire conventions: camelCase models, null-free JSON bodies rendered with orjson."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import orjson
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Strict
from pydantic.alias_generators import to_camel
from starlette.responses import Response


class WireModel(BaseModel):
    """Base for request and response models: camelCase on the wire, strict types, unknown keys refused."""

    # Strict: `"yes"`, `"1"` and `1` are not `true`, `"12"` is not 12. Dates and enums opt back into
    # parsing their JSON string forms (`WireDate`, `WireEnum`), which is all lax mode adds for them.
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        strict=True,
        str_strip_whitespace=False,
    )

    def wire(self) -> dict[str, Any]:
        """The model as wire JSON data, optional keys omitted rather than null."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def iso_text(value: Any) -> Any:
    """Let a string (or a date) through to date parsing; refuse anything else."""
    # JSON carries dates as strings: a number (a Unix time, say) is not a date of this API.
    if not isinstance(value, str | date):
        raise ValueError("must be a string in ISO 8601 form")
    return value


# A date or date-time sent as its ISO 8601 string; nothing else converts into one.
WireDate = Annotated[date, Strict(False), BeforeValidator(iso_text)]
WireDateTime = Annotated[datetime, Strict(False), BeforeValidator(iso_text)]
# The oldest person living was born about 120 years ago; older is a typing error (1896 for 1996).
OLDEST_AGE_YEARS = 130


def plausible_birth_date(value: date) -> date:
    """Refuse a birth date in the future or more than OLDEST_AGE_YEARS ago."""
    today = date.today()
    if value > today:
        raise ValueError("a birth date cannot be in the future")
    if value < today.replace(year=today.year - OLDEST_AGE_YEARS, day=min(today.day, 28)):
        raise ValueError(f"a birth date more than {OLDEST_AGE_YEARS} years ago is not plausible")
    return value


BirthDate = Annotated[WireDate, AfterValidator(plausible_birth_date)]


def drop_none(value: Any) -> Any:
    """Remove null-valued keys recursively (optional keys are omitted on the wire)."""
    if isinstance(value, dict):
        return {key: drop_none(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [drop_none(item) for item in value]
    return value


class JSONBody(Response):
    """A JSON response serialised with orjson."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        """Serialise the body."""
        return orjson.dumps(content)
