"""HTTP routes for /config."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body

from railbook.kit.wire import JSONBody
from railbook.platforms import config
from railbook.platforms.schemas import PlatformConfigUpdate
from railbook.routing import api_router
from railbook.web import DB, Caller, Keys

router = api_router("Platform Configuration")


@router.get("/config")
def get_platform_config(caller: Caller, database: DB) -> JSONBody:
    """The platform's configuration in the caller's mode."""
    with database.transaction() as session:
        body = config.render(session, config.get_config(session, caller))
    return JSONBody(body)


@router.patch("/config")
def update_platform_config(
    caller: Caller, database: DB, keys: Keys, request: Annotated[PlatformConfigUpdate, Body()]
) -> JSONBody:
    """Change the configuration; setting the webhook endpoint sends it a TEST webhook."""
    with database.transaction() as session:
        body = config.render(session, config.update_config(session, keys, caller, request))
    return JSONBody(body)
