"""Passes over a generated schema: labels, markers lifted out of `anyOf [X, null]`, country codes, unused $defs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from railbook.requirements.labels import label
from railbook.requirements.markers import COUNTRY_CODE_DEF, COUNTRY_CODES

Schema = dict[str, Any]
MARKER_PREFIX = "x-railbook-"
DEFS_PREFIX = "#/$defs/"


def nodes(node: Any) -> Iterator[Schema]:
    """Every schema object under `node`, itself included (marker values are data, not schemas, but harmless)."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from nodes(value)
    elif isinstance(node, list):
        for item in node:
            yield from nodes(item)


def finish(root: Schema) -> None:
    """Label every property, lift each optional field's markers to the property, define CountryCode if used."""
    for node in list(nodes(root)):
        if node.get("enum") == COUNTRY_CODES:
            del node["enum"]
            node["$ref"] = f"{DEFS_PREFIX}{COUNTRY_CODE_DEF}"
        properties = node.get("properties")
        if not isinstance(properties, dict):
            continue
        for name, prop in properties.items():
            _lift_markers(prop)
            prop["title"] = label(name)
    if f"{DEFS_PREFIX}{COUNTRY_CODE_DEF}" in references(root):
        root.setdefault("$defs", {})[COUNTRY_CODE_DEF] = {
            "title": "Country code",
            "description": "ISO 3166-1 alpha-2",
            "type": "string",
            "enum": COUNTRY_CODES,
        }


def _lift_markers(prop: Schema) -> None:
    # `X | None` is generated as anyOf [X, null]: the markers belong to the field, where clients look.
    members = [member for member in prop.get("anyOf", ()) if member != {"type": "null"}]
    if len(members) != 1:
        return
    for key in [key for key in members[0] if key.startswith(MARKER_PREFIX)]:
        prop[key] = members[0].pop(key)


def references(node: Any) -> set[str]:
    """Every `$ref` value under `node`."""
    return {str(found["$ref"]) for found in nodes(node) if isinstance(found.get("$ref"), str)}


def prune_definitions(root: Schema) -> None:
    """Drop the $defs nothing outside them reaches (after a union was narrowed to one member)."""
    definitions: Schema = root.get("$defs", {})
    outside = {key: value for key, value in root.items() if key != "$defs"}
    reached: set[str] = set()
    pending = [ref.removeprefix(DEFS_PREFIX) for ref in references(outside) if ref.startswith(DEFS_PREFIX)]
    while pending:
        name = pending.pop()
        if name in reached or name not in definitions:
            continue
        reached.add(name)
        pending += [ref.removeprefix(DEFS_PREFIX) for ref in references(definitions[name])]
    if definitions:
        root["$defs"] = {name: schema for name, schema in definitions.items() if name in reached}
        if not root["$defs"]:
            del root["$defs"]


def narrow_union(prop: Schema, tag: str, value: str | None) -> None:
    """Replace the discriminated union on `tag` under a property by its `value` member, when it is one."""
    if value is None:
        return
    for node in [prop, *prop.get("anyOf", ())]:
        discriminator = node.get("discriminator")
        if not isinstance(discriminator, dict) or discriminator.get("propertyName") != tag:
            continue
        reference = discriminator.get("mapping", {}).get(value)
        if reference is not None:
            del node["oneOf"], node["discriminator"]
            node["$ref"] = reference


def union_tags(prop: Schema, tag: str) -> list[str]:
    """The values of a discriminated union on `tag` under a property (none when there is no union)."""
    for node in [prop, *prop.get("anyOf", ())]:
        discriminator = node.get("discriminator")
        if isinstance(discriminator, dict) and discriminator.get("propertyName") == tag:
            return sorted(discriminator.get("mapping", {}))
    return []


def target(root: Schema, reference: str) -> Schema:
    """The $defs entry a local reference names."""
    found: Schema = root["$defs"][reference.removeprefix(DEFS_PREFIX)]
    return found


def names_of(marker: Any) -> list[str]:
    """A marker's names: it holds one name, or a list when several apply."""
    if marker is None:
        return []
    return [marker] if isinstance(marker, str) else list(marker)
