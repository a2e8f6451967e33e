"""Grid's contract as Railbook serves it: the cut of 2025-10-13 plus the pieces Grid published later.

The later pieces (`contract/grid-accounts-later.openapi.json`, from `contract/later/` at the
repository's root) name their source commits in `x-grid-source`. Merging adds their paths and
schemas, drops the paths Grid moved (`x-replaces-paths`), and extends schemas of the cut with
more oneOf members, discriminator mappings and enum values (`x-extends`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any


def merged(cut: Mapping[str, Any], later: Mapping[str, Any]) -> dict[str, Any]:
    """A new document: `cut` with the `later` pieces merged in (neither argument is changed)."""
    document = copy.deepcopy(dict(cut))
    paths: dict[str, Any] = document["paths"]
    for moved in later.get("x-replaces-paths", {}):
        paths.pop(moved, None)
    for path, item in later.get("paths", {}).items():
        paths[path] = copy.deepcopy(item)
    schemas: dict[str, Any] = document["components"]["schemas"]
    for name, schema in later.get("components", {}).get("schemas", {}).items():
        if name in schemas:
            raise ValueError(f"{name} is in the cut already: extend it instead")
        schemas[name] = copy.deepcopy(schema)
    for name, extension in later.get("x-extends", {}).items():
        _extend(schemas[name], extension)
    return document


def _extend(schema: dict[str, Any], extension: Mapping[str, Any]) -> None:
    for member in extension.get("oneOf", ()):
        if member not in schema["oneOf"]:
            schema["oneOf"].append(copy.deepcopy(member))
    if "mapping" in extension:
        schema["discriminator"]["mapping"].update(extension["mapping"])
    for value in extension.get("enum", ()):
        if value not in schema["enum"]:
            schema["enum"].append(value)
