"""Entry point for ASGI servers: `uvicorn --factory railbook.asgi:app_from_env`."""

from __future__ import annotations

from fastapi import FastAPI

from railbook.app import create_app
from railbook.config import Settings
from railbook.kit.heap import settle_for_serving
from railbook.logs import configure_logging


def app_from_env() -> FastAPI:
    """The app configured from RAILBOOK_* environment variables."""
    settings = Settings()
    configure_logging(settings.log_level)
    app = create_app(settings)
    settle_for_serving()
    return app
