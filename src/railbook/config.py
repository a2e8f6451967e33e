"""Settings read from the environment (prefix RAILBOOK_) and passed explicitly."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Mode(StrEnum):
    """The environment a token, and everything it touches, belongs to."""

    SANDBOX = "SANDBOX"
    PRODUCTION = "PRODUCTION"


class Settings(BaseSettings):
    """Everything Railbook can be told from outside; build one and hand it down."""

    model_config = SettingsConfigDict(env_prefix="RAILBOOK_", extra="ignore")

    data_dir: Path = Path(".railbook")
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    # Seconds a verified API token stays trusted without a database lookup.
    auth_cache_seconds: float = 5.0
    max_body_bytes: int = Field(default=1024 * 1024, ge=1)
    uma_domain: str = "railbook.local"
    log_level: str = "INFO"

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if value and not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:", "postgres:")):
            raise ValueError("RAILBOOK_DATABASE_URL must start with sqlite:/// or postgresql://")
        return value

    @property
    def effective_database_url(self) -> str:
        """The configured URL, or the SQLite file under the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'railbook.db'}"
