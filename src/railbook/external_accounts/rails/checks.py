"""Validation context and the bridge from identifier checks to Pydantic, with the check-digit policy."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import AfterValidator, ValidationInfo
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from railbook.kit.identifiers import CheckDigitError, FormatError

log = logging.getLogger("railbook.external_accounts")


@dataclass
class RuleContext:
    """Passed to validation: whether check digits are binding, and the ones let through."""

    enforce_check_digits: bool = True
    allow_test_networks: bool = False
    # Check-digit failures sandbox let through, as `{field, message}` (validate-only warns of them).
    soft_failures: list[dict[str, str]] = field(default_factory=list)


def context_of(info: ValidationInfo) -> RuleContext:
    """The RuleContext of a validation (strict defaults when none was given)."""
    return info.context if isinstance(info.context, RuleContext) else RuleContext()


def rule_error(message: str) -> PydanticCustomError:
    """A failed rule, reported with its message."""
    return PydanticCustomError("rule", message)


def run_check(check: Callable[[str], Any], value: str, info: ValidationInfo) -> str:
    """Apply an identifier check; in sandbox a check-digit failure alone is logged and accepted."""
    try:
        result = check(value)
    except CheckDigitError as exc:
        context = context_of(info)
        if context.enforce_check_digits:
            raise PydanticCustomError("check_digit", str(exc)) from exc
        # Check digits sit on accountInfo's own fields (IBAN, routing number, CLABE...), never deeper.
        context.soft_failures.append({"field": f"accountInfo.{to_camel(info.field_name or '')}", "message": str(exc)})
        return value
    except FormatError as exc:
        raise rule_error(str(exc)) from exc
    return result if isinstance(result, str) else value


@dataclass(frozen=True)
class CheckedValidator:
    """What `checked` wraps: `check` under the check-digit policy, kept readable (the requirements schema names it)."""

    check: Callable[[str], Any]

    def __call__(self, value: str, info: ValidationInfo) -> str:
        """Validate one value."""
        return run_check(self.check, value, info)


def checked(check: Callable[[str], Any]) -> AfterValidator:
    """An Annotated validator running `check` under the check-digit policy."""
    return AfterValidator(CheckedValidator(check))
