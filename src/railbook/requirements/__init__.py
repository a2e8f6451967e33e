"""What a create body needs, as JSON Schema generated from the rail models, and the normalisations it names."""

from railbook.requirements.markers import NORMALIZERS
from railbook.requirements.normalize import normalize
from railbook.requirements.paths import server_checks
from railbook.requirements.schema import (
    Variant,
    account_types,
    all_schemas,
    beneficiary_types,
    create_body_schema,
    variants,
)

__all__ = [
    "NORMALIZERS",
    "Variant",
    "account_types",
    "all_schemas",
    "beneficiary_types",
    "create_body_schema",
    "normalize",
    "server_checks",
    "variants",
]
