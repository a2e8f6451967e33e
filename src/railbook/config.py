"""Settings read from the environment (prefix RAILBOOK_) and passed explicitly."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Mode(StrEnum):
    """The environment a token, and everything it touches, belongs to."""

    SANDBOX = "SANDBOX"
    PRODUCTION = "PRODUCTION"


PLAID_SIMULATOR_CLIENT_ID = "railbook-sandbox"
PLAID_SIMULATOR_SECRET = "railbook-sandbox-secret"  # noqa: S105 - the simulator's public default, not a secret


class Settings(BaseSettings):
    """Everything Railbook can be told from outside; build one and hand it down."""

    model_config = SettingsConfigDict(env_prefix="RAILBOOK_", extra="ignore")

    data_dir: Path = Path(".railbook")
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    # Seconds an idle client connection stays open. Longer than clients' own pool expiry (httpx: 5 s,
    # load balancers: 60 s) so the client always closes first: at uvicorn's 5 s both sides closed
    # together and a request sent at that moment was lost (docs/decisions.md, Hardening).
    keep_alive_seconds: int = Field(default=75, ge=1, le=3600)
    # Threads serving requests in each API process; unset: 16 on SQLite, 40 on PostgreSQL.
    request_threads: int | None = Field(default=None, ge=1, le=1000)
    # Seconds a verified API token stays trusted without a database lookup.
    auth_cache_seconds: float = 5.0
    max_body_bytes: int = Field(default=1024 * 1024, ge=1)
    # Requests per second per API token (a token bucket in each API process); 0 turns the limit off.
    rate_limit_per_second: float = Field(default=1000.0, ge=0)
    rate_limit_burst: int = Field(default=2000, ge=1)
    uma_domain: str = "railbook.local"
    log_level: str = "INFO"
    # The deployment: sandbox generates what it lacks (a master key); production refuses to start.
    mode: Mode = Mode.SANDBOX
    # "kid1:<base64 32 bytes>,kid2:..." - the first encrypts, all decrypt.
    secret_keys: str = ""
    embedded_worker: bool = True
    worker_concurrency: int = Field(default=8, ge=1, le=256)
    job_poll_seconds: float = Field(default=1.0, gt=0)
    job_lease_seconds: float = Field(default=60.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_retry_base_seconds: float = Field(default=30.0, gt=0)
    webhook_retry_max_seconds: float = Field(default=1800.0, gt=0)
    webhook_allow_private: bool = False
    # Per platform and mode, how many deliveries may be in flight at once (a dead receiver
    # then ties up at most this many worker threads).
    webhook_concurrency_per_platform: int = Field(default=4, ge=1)
    # "simulator" talks to the in-repo Plaid simulator; "sandbox" and "production" to Plaid's own hosts.
    # The externally visible base URL (behind a proxy); callback URLs are built from it when set.
    public_url: str = ""
    # Where the Plaid simulator answers; empty in simulator mode means the one mounted on this server.
    plaid_simulator_url: str = ""
    plaid_timeout_seconds: float = Field(default=10.0, gt=0)
    plaid_retry_base_seconds: float = Field(default=5.0, gt=0)
    plaid_env: Literal["simulator", "sandbox", "production"] = "simulator"
    plaid_client_id: str = PLAID_SIMULATOR_CLIENT_ID
    plaid_secret: str = Field(default=PLAID_SIMULATOR_SECRET, repr=False)
    # "simulator" talks to the in-repo Brale simulator (mounted on this server unless the URLs say
    # otherwise); "live" to Brale's hosts (testnet or mainnet is decided by the platform's credentials).
    brale_env: Literal["simulator", "live"] = "simulator"
    brale_auth_url: str = ""
    brale_api_url: str = ""
    brale_timeout_seconds: float = Field(default=10.0, gt=0)
    # How often ACTIVE and INVALID stablecoin provider links are checked again with Brale.
    stablecoin_reverify_seconds: float = Field(default=86400.0, gt=0)
    idempotency_ttl_seconds: float = Field(default=86400.0, gt=0)
    # Sandbox: how long a name check that starts PENDING (suffix 104) runs before it settles MATCHED.
    sandbox_pending_seconds: float = Field(default=5.0, ge=0)
    # How long an ownership challenge (a message to sign, a liveness link) can be answered.
    ownership_challenge_seconds: float = Field(default=900.0, gt=0)
    # How long events (and their delivery attempts) are kept for the events API, then purged.
    event_retention_days: float = Field(default=30.0, gt=0)
    # The payout partner's institution names (JSON array of {bankName, displayName?, country, currency}):
    # served by GET /discoveries, and `bankName` of those corridors must be one of them.
    discoveries_file: Path | None = None
    # The VASP directory (JSON array of {vaspName, url?}): served by GET /vasps; wallets' `vaspName` must be in it.
    vasps_file: Path | None = None

    @field_validator("mode", mode="before")
    @classmethod
    def _mode_any_case(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("plaid_env", "brale_env", mode="before")
    @classmethod
    def _plaid_env_any_case(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _real_plaid_needs_keys(self) -> Self:
        if self.plaid_env != "simulator" and (
            self.plaid_client_id == PLAID_SIMULATOR_CLIENT_ID or self.plaid_secret == PLAID_SIMULATOR_SECRET
        ):
            raise ValueError(
                f"RAILBOOK_PLAID_ENV={self.plaid_env} needs RAILBOOK_PLAID_CLIENT_ID and RAILBOOK_PLAID_SECRET"
            )
        return self

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
