"""Field examples from the contract Railbook ships: the example of the same property in Grid's schema for the type.

Nothing is invented: a field whose contract property has no example gets none, and an example the
generated schema (or the field's named check) would refuse is left out rather than shown to clients.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from railbook.openapi import contract
from railbook.requirements.markers import CHECK, CHECK_ARGS, CHECK_FUNCTIONS

ENVELOPES = {True: "ExternalAccountCreateRequest", False: "PlatformExternalAccountCreateRequest"}
CREATE_INFO_UNION = "ExternalAccountCreateInfoOneOf"
Schema = dict[str, Any]


def _schemas() -> Mapping[str, Any]:
    schemas: Mapping[str, Any] = contract()["components"]["schemas"]
    return schemas


def _resolve(node: Any) -> Any:
    """A contract node with its `#/components/schemas/...` reference followed."""
    while isinstance(node, Mapping) and "$ref" in node:
        node = _schemas()[str(node["$ref"]).rsplit("/", 1)[-1]]
    return node


def contract_account_info(account_type: str) -> Mapping[str, Any] | None:
    """The contract's create schema for an accountType (legacy types have none in the shipped contract)."""
    mapping = _schemas()[CREATE_INFO_UNION]["discriminator"]["mapping"]
    return _resolve({"$ref": mapping[account_type]}) if account_type in mapping else None


def contract_envelope(customer_path: bool) -> Mapping[str, Any]:
    """The contract's create request around accountInfo."""
    envelope: Mapping[str, Any] = _resolve({"$ref": ENVELOPES[customer_path]})
    return envelope


def _flatten(node: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(properties, object example) of a contract object, its allOf parts merged."""
    node = _resolve(node)
    if not isinstance(node, Mapping):
        return {}, {}
    properties: dict[str, Any] = {}
    example: dict[str, Any] = {}
    for part in node.get("allOf", ()):
        part_properties, part_example = _flatten(part)
        properties.update(part_properties)
        example.update(part_example)
    properties.update(node.get("properties", {}))
    if isinstance(node.get("example"), Mapping):
        example.update(node["example"])
    return properties, example


def attach_examples(root: Schema, node: Schema, counterpart: Any) -> None:
    """Give each property under `node` (in `root`'s $defs) the example of its contract `counterpart` property."""
    _attach(root, node, counterpart, set())


def _attach(root: Schema, node: Schema, counterpart: Any, visited: set[str]) -> None:
    target = _local(root, node, visited)
    if target is None or counterpart is None:
        return
    contract_properties, contract_example = _flatten(counterpart)
    for name, prop in target.get("properties", {}).items():
        other = contract_properties.get(name)
        objects = list(_object_branches(root, prop))
        if objects:
            for branch in objects:
                _attach(root, branch, _choose(other, root, branch), visited)
            continue
        example = _example_of(other, contract_example.get(name))
        if example is not None and fits(root, prop, example) and _passes_check(prop, example):
            prop["examples"] = [example]


def _local(root: Schema, node: Schema, visited: set[str]) -> Schema | None:
    """The object a node of the generated schema stands for; None when its definition was annotated already."""
    reference = node.get("$ref")
    if reference is None:
        return node
    name = str(reference).rsplit("/", 1)[-1]
    if name in visited:
        return None
    visited.add(name)
    target: Schema = root["$defs"][name]
    return target


def _object_branches(root: Schema, prop: Schema) -> Iterator[Schema]:
    """The object schemas a property may hold (a $ref, or the members of its anyOf/oneOf)."""
    if "$ref" in prop and "properties" in _deref(root, prop):
        yield prop
    for key in ("anyOf", "oneOf"):
        for member in prop.get(key, ()):
            yield from _object_branches(root, member)


def _choose(other: Any, root: Schema, branch: Schema) -> Any:
    """The contract counterpart of one member: through the contract's discriminator when it has one."""
    other = _resolve(other)
    if not isinstance(other, Mapping) or "discriminator" not in other:
        return other
    discriminator = other["discriminator"]
    tag = _deref(root, branch).get("properties", {}).get(discriminator["propertyName"], {})
    value = tag.get("const", (tag.get("enum") or [None])[0])
    reference = discriminator.get("mapping", {}).get(value)
    return _resolve({"$ref": reference}) if reference else None


def _deref(root: Schema, node: Schema) -> Schema:
    while "$ref" in node:
        node = root["$defs"][str(node["$ref"]).rsplit("/", 1)[-1]]
    return node


def _example_of(other: Any, from_object: Any) -> Any:
    prop = _resolve(other) if other is not None else None
    if isinstance(prop, Mapping):
        if "example" in prop:
            return prop["example"]
        if prop.get("examples"):
            return prop["examples"][0]
    if isinstance(other, Mapping) and "example" in other:
        return other["example"]
    return from_object if isinstance(from_object, str | bool | int | float) else None


def fits(root: Schema, node: Schema, value: Any) -> bool:
    """Whether a scalar value meets a generated leaf schema (type, enum, const, pattern, lengths)."""
    if "$ref" in node and not fits(root, _deref(root, node), value):
        return False
    if "anyOf" in node and not any(fits(root, member, value) for member in node["anyOf"]):
        return False
    if not all(fits(root, member, value) for member in node.get("allOf", ())):
        return False
    if node.get("type") == "string" and not isinstance(value, str):
        return False
    if node.get("type") == "boolean" and not isinstance(value, bool):
        return False
    if "enum" in node and value not in node["enum"]:
        return False
    if "const" in node and value != node["const"]:
        return False
    if isinstance(value, str):
        if "pattern" in node and not re.search(node["pattern"], value):
            return False
        if len(value) < node.get("minLength", 0) or len(value) > node.get("maxLength", len(value)):
            return False
    return True


def _passes_check(prop: Schema, value: Any) -> bool:
    """Whether the field's named check (run in production terms) accepts the example, when it names one."""
    names = _marker(prop, CHECK)
    args = _marker(prop, CHECK_ARGS) or {}
    for name in [names] if isinstance(names, str) else names or []:
        check = CHECK_FUNCTIONS.get(name)
        if check is None:
            continue
        try:
            check(value, **args)
        except ValueError:
            return False
    return True


def _marker(prop: Schema, key: str) -> Any:
    if key in prop:
        return prop[key]
    for member in prop.get("anyOf", ()):
        if key in member:
            return member[key]
    return None
