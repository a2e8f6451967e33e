"""Apply the normalisations a requirements schema names, where it names them (what the API does first)."""

from __future__ import annotations

from typing import Any

from railbook.requirements.markers import NORMALIZE, NORMALIZERS
from railbook.requirements.shape import Schema, names_of, target


def normalize(schema: Schema, value: Any) -> Any:
    """A copy of `value` with each `x-railbook-normalize` of `schema` applied to the part it sits on."""
    return _apply(schema, schema, value)


def _apply(root: Schema, node: Schema, value: Any) -> Any:
    for name in names_of(node.get(NORMALIZE)):
        value = NORMALIZERS[name](value)
    if "$ref" in node:
        value = _apply(root, target(root, node["$ref"]), value)
    for member in _members(node, value):
        value = _apply(root, member, value)
    properties = node.get("properties")
    if isinstance(value, dict) and isinstance(properties, dict):
        value = {key: _apply(root, properties[key], item) if key in properties else item for key, item in value.items()}
    return value


def _members(node: Schema, value: Any) -> list[Schema]:
    """The members of a composition that apply to `value`: all of allOf, the one a union unambiguously picks."""
    members: list[Schema] = list(node.get("allOf", ()))
    discriminator = node.get("discriminator")
    if isinstance(discriminator, dict) and "oneOf" in node:
        tag = value.get(discriminator["propertyName"]) if isinstance(value, dict) else None
        reference = discriminator.get("mapping", {}).get(tag) if isinstance(tag, str) else None
        return members + ([{"$ref": reference}] if reference else [])
    for key in ("anyOf", "oneOf"):
        candidates = [member for member in node.get(key, ()) if member != {"type": "null"}]
        if len(candidates) == 1:
            members += candidates
    return members
