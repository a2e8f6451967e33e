"""The authenticated caller, as every service sees it."""

from __future__ import annotations

from dataclasses import dataclass

from railbook.config import Mode


@dataclass(frozen=True)
class Principal:
    """Who is calling: a token of one platform in one mode. Every query is scoped by it."""

    token_id: str
    platform_id: str
    mode: Mode

    @property
    def is_sandbox(self) -> bool:
        """True for sandbox tokens."""
        return self.mode is Mode.SANDBOX

    def scope_parameters(self) -> dict[str, str]:
        """The `platform_id` and `mode` parameters of the statements built once with `bindparam()`s."""
        return {"platform_id": self.platform_id, "mode": self.mode.value}
