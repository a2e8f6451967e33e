"""Wire conventions: camelCase models, null-free JSON bodies rendered with orjson."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from starlette.responses import Response


class WireModel(BaseModel):
    """Base for request and response models: camelCase on the wire, unknown keys tolerated."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        str_strip_whitespace=False,
    )

    def wire(self) -> dict[str, Any]:
        """The model as wire JSON data, optional keys omitted rather than null."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


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
