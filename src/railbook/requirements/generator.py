"""Pydantic's JSON Schema generation, with each validator function turned into what markers.py says it is."""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from railbook.requirements.markers import CHECK, CHECK_ARGS, NORMALIZE, Check, Expressed, Normalize, meaning_of

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


class RequirementsGenerator(GenerateJsonSchema):
    """Marks server-side checks and normalisations where Pydantic would drop the validator silently."""

    schema_dialect = DRAFT_2020_12

    def function_after_schema(self, schema: core_schema.AfterValidatorFunctionSchema) -> JsonSchemaValue:
        """An AfterValidator or mode="after" field validator: a check, or a rule stated in the schema."""
        return _mark(super().function_after_schema(schema), schema["function"]["function"])

    def function_before_schema(self, schema: core_schema.BeforeValidatorFunctionSchema) -> JsonSchemaValue:
        """A BeforeValidator or mode="before" validator: usually a normalisation."""
        return _mark(super().function_before_schema(schema), schema["function"]["function"])

    def function_wrap_schema(self, schema: core_schema.WrapValidatorFunctionSchema) -> JsonSchemaValue:
        """A WrapValidator: whatever markers.py names it."""
        return _mark(super().function_wrap_schema(schema), schema["function"]["function"])

    def function_plain_schema(self, schema: core_schema.PlainValidatorFunctionSchema) -> JsonSchemaValue:
        """A PlainValidator: whatever markers.py names it."""
        return _mark(super().function_plain_schema(schema), schema["function"]["function"])


def _mark(generated: JsonSchemaValue, validator: Any) -> JsonSchemaValue:
    meaning = meaning_of(validator)
    if isinstance(meaning, Check):
        _add(generated, CHECK, meaning.name, first=False)
        if meaning.args:
            generated[CHECK_ARGS] = {**generated.get(CHECK_ARGS, {}), **meaning.args}
    elif isinstance(meaning, Normalize):
        # An outer BeforeValidator runs before the inner ones: it is listed first.
        _add(generated, NORMALIZE, meaning.name, first=True)
    elif isinstance(meaning, Expressed):
        merge(generated, meaning.fragment)
    return generated


def _add(node: dict[str, Any], key: str, name: str, *, first: bool) -> None:
    """One name as a string; several as a list in the order they apply."""
    present = node.get(key)
    if present is None:
        node[key] = name
        return
    names = [present] if isinstance(present, str) else list(present)
    if name not in names:
        names = [name, *names] if first else [*names, name]
    node[key] = names


def merge(node: dict[str, Any], fragment: dict[str, Any]) -> None:
    """Add `fragment`'s keywords to `node`; a keyword `node` has already is kept and the new one goes in allOf."""
    for key, value in fragment.items():
        if key not in node or node[key] == value:
            node[key] = value
        else:
            node.setdefault("allOf", []).append({key: value})
