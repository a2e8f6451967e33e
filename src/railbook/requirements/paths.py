"""Read a requirements schema by wire field path (`accountInfo.beneficiary.address.country`)."""

from __future__ import annotations

from railbook.requirements.markers import CHECK, CROSS_CHECKS
from railbook.requirements.shape import Schema, names_of, target


def server_checks(schema: Schema, field: str) -> list[str]:
    """The server-side checks deciding `field` beyond the schema: its own, and the cross rules of objects around it."""
    found: list[str] = []
    current = [schema]
    for part in field.split("."):
        current = _alternatives(schema, current)
        found += [rule["name"] for node in current for rule in node.get(CROSS_CHECKS, ())]
        current = [node["properties"][part] for node in current if part in node.get("properties", {})]
    found += [name for node in _alternatives(schema, current) for name in names_of(node.get(CHECK))]
    return list(dict.fromkeys(found))


def field_schemas(schema: Schema, field: str) -> list[Schema]:
    """Every schema node `field` may be validated by (its $ref targets and union members included)."""
    current = [schema]
    for part in field.split("."):
        current = [
            node["properties"][part] for node in _alternatives(schema, current) if part in node.get("properties", {})
        ]
    return _alternatives(schema, current)


def _alternatives(root: Schema, start: list[Schema]) -> list[Schema]:
    """The nodes and everything they stand for: $ref targets and anyOf/oneOf/allOf members, recursively."""
    found: list[Schema] = []
    pending = list(start)
    while pending:
        node = pending.pop(0)
        if any(node is seen for seen in found):
            continue
        found.append(node)
        if "$ref" in node:
            pending.append(target(root, node["$ref"]))
        for key in ("anyOf", "oneOf", "allOf"):
            pending += node.get(key, ())
    return found
