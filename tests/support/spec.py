"""Check responses against the official contract (contract/reference), not against hand-written shapes."""

from __future__ import annotations

import functools
import re
from typing import Any

import httpx
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from railbook import API_PREFIX
from railbook.contract_pieces import merged
from railbook.openapi_additions import RAILBOOK_PATHS, RAILBOOK_SCHEMAS, with_railbook_properties
from tests.support.documents import LATER_PIECES, REFERENCE

SPEC_URI = "urn:railbook:grid-accounts"


CURRENT = "grid-accounts.openapi.yaml"
LATER = "grid-accounts-later.openapi.yaml"
LEGACY = "grid-accounts-legacy.openapi.yaml"
# The current spec with the operations Railbook adds (`x-railbook`): the contract their answers are held to.
WITH_ADDITIONS = "railbook-additions"


@functools.cache
def reference(name: str) -> dict[str, Any]:
    """One document of `contract/reference` (or `contract/later`), as it is there."""
    folder = LATER_PIECES if name == LATER else REFERENCE
    with (folder / name).open() as handle:
        # libyaml's parser: the pure-Python one took a second per contract, in every test process.
        loaded: dict[str, Any] = yaml.load(handle, Loader=yaml.CSafeLoader)
    return loaded


@functools.cache
def spec(name: str = CURRENT) -> dict[str, Any]:
    """An official Grid accounts spec: the current one (with Grid's later pieces) unless named."""
    if name == CURRENT:
        return merged(reference(CURRENT), reference(LATER))
    if name == WITH_ADDITIONS:
        current = spec(CURRENT)
        schemas = with_railbook_properties({**current["components"]["schemas"], **RAILBOOK_SCHEMAS})
        components = {**current["components"], "schemas": schemas}
        return {**current, "paths": {**current["paths"], **RAILBOOK_PATHS}, "components": components}
    return reference(name)


@functools.cache
def _registry(name: str) -> Registry:
    uri = f"{SPEC_URI}:{name}"
    return Registry().with_resource(uri, Resource.from_contents(spec(name), default_specification=DRAFT202012))


def validator(schema: dict[str, Any], name: str = CURRENT) -> Draft202012Validator:
    """A validator for a schema fragment whose $refs point into the named spec."""
    rebased = _rebase(schema, f"{SPEC_URI}:{name}")
    return Draft202012Validator(rebased, registry=_registry(name), format_checker=FormatChecker())


def _rebase(node: Any, uri: str) -> Any:
    if isinstance(node, dict):
        return {
            key: (f"{uri}{value}" if key == "$ref" and value.startswith("#") else _rebase(value, uri))
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rebase(item, uri) for item in node]
    return node


def assert_schema(body: Any, schema_name: str, name: str = CURRENT) -> None:
    """Fail with every violation when `body` does not match components.schemas[schema_name]."""
    errors = sorted(validator({"$ref": f"#/components/schemas/{schema_name}"}, name).iter_errors(body), key=str)
    assert not errors, f"{schema_name} violations: " + "; ".join(e.message for e in errors[:5])


def _template_for(path: str) -> tuple[str, str]:
    """The path template that matches a concrete request path, and the spec to hold the answer to."""
    relative = path.removeprefix(API_PREFIX)
    # Exact paths first: /platform/external-accounts/validate is not /platform/external-accounts/{id}.
    for template in sorted(spec(WITH_ADDITIONS)["paths"], key=lambda template: "{" in template):
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, relative):
            return template, CURRENT if template in spec(CURRENT)["paths"] else WITH_ADDITIONS
    raise AssertionError(f"{relative} is not a path of the contract or of Railbook's additions")


def conform(response: httpx.Response) -> Any:
    """Check status, content type and body against the operation's declared responses; return the body."""
    request = response.request
    template, name = _template_for(request.url.path)
    operation = spec(name)["paths"][template][request.method.lower()]
    declared = operation["responses"]
    status = str(response.status_code)
    assert status in declared, f"{request.method} {template} answered {status}, not declared ({list(declared)})"
    content = declared[status].get("content")
    if content is None:
        assert response.content == b"", "a response declared without content has a body"
        return None
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    errors = sorted(validator(content["application/json"]["schema"], name).iter_errors(body), key=str)
    assert not errors, f"{request.method} {template} {status}: " + "; ".join(e.message for e in errors[:5])
    return body


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is Grid's error body for `status` with `code`, valid against Error<status>."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    schema = spec()["components"]["schemas"].get(f"Error{status}")
    if schema is not None:
        assert_schema(body, f"Error{status}")
        assert code in schema["properties"]["code"]["enum"], f"{code} is not a {status} code of the contract"
    assert body["status"] == status
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    return body
