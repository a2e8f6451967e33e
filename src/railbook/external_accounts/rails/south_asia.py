"""Rail family: south_asia (models are added here)."""

from __future__ import annotations

from railbook.external_accounts.rails.base import AccountInfo

MODELS: list[type[AccountInfo]] = []
