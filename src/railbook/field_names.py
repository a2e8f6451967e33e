"""Wire field names: the fields older contract generations defined, and "did you mean" for unknown ones."""

from __future__ import annotations

import functools

from rapidfuzz import fuzz, process

from railbook.kit.wire import WireModel

# Fields of the contract's responses that a client copying an answer back would send: refused, with that reason.
ANSWERED_ONLY = frozenset(
    {"paymentRails", "id", "status", "createdAt", "updatedAt", "beneficiaryVerificationStatus",
     # readOnly in the contract's PlatformCurrencyConfig.
     "providerRequiredCustomerFields", "providerRequiredCounterpartyCustomerFields"}
)  # fmt: skip
# Names a field had in another generation: the suggestion is exact, however different the spelling.
RENAMED: dict[str, str] = {
    "swiftBic": "swiftCode",
    "accountCategory": "bankAccountType",
    "clabe": "clabeNumber",
}
# rapidfuzz's ratio (0-100) a known name needs to be suggested for a misspelt one.
SUGGESTION_CUTOFF = 75


def _subclasses(model: type[WireModel]) -> list[type[WireModel]]:
    found = []
    for subclass in model.__subclasses__():
        found += [subclass, *_subclasses(subclass)]
    return found


@functools.cache
def _known_names() -> tuple[str, ...]:
    # Built on the first unknown field, when every model has long been imported.
    names = {field.alias or name for model in _subclasses(WireModel) for name, field in model.model_fields.items()}
    return tuple(sorted(names))


def suggestion(name: str) -> str | None:
    """The known field name an unknown one most likely meant, if any is close enough."""
    if name in RENAMED:
        return RENAMED[name]
    choices = [known for known in _known_names() if known != name]
    best = process.extractOne(name, choices, scorer=fuzz.ratio, score_cutoff=SUGGESTION_CUTOFF)
    return str(best[0]) if best else None
