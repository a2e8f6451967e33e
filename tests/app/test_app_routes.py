"""Every app of a process serves the API's route objects built once, each answering for its own app."""

from __future__ import annotations

import shutil
from pathlib import Path

from fastapi import FastAPI
from fastapi.routing import APIRoute

from railbook import API_PREFIX
from railbook.app import create_app
from railbook.config import Settings
from railbook.db import Database
from railbook.routing import GridRoute
from tests.conftest import Token, make_token
from tests.support.clients import api_client


def _api_routes(app: FastAPI) -> list[APIRoute]:
    return [route for route in app.routes if isinstance(route, APIRoute) and route.path.startswith(API_PREFIX)]


def test_every_app_of_a_process_serves_the_same_route_objects(settings: Settings, database: Database) -> None:
    first, second = _api_routes(create_app(settings, database)), _api_routes(create_app(settings, database))
    assert len(first) >= 30
    assert [route.path for route in first] == [route.path for route in second]
    # The same objects: FastAPI built and analysed each route once, not once per app.
    assert all(mine is theirs for mine, theirs in zip(first, second, strict=True))
    assert [route.path for route in first if not isinstance(route, GridRoute)] == []


def test_apps_sharing_the_routes_answer_from_their_own_database(
    settings: Settings, database: Database, token: Token, sqlite_template: Path, tmp_path: Path
) -> None:
    shutil.copyfile(sqlite_template, tmp_path / "other.db")
    other_settings = settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'other.db'}"})
    other_database = Database(other_settings.effective_database_url)
    try:
        other_token = make_token(other_database, "acme", token.mode)
        with (
            api_client(settings, database, token) as mine,
            api_client(other_settings, other_database, other_token) as theirs,
        ):
            created = mine.post("/customers", json={"customerType": "INDIVIDUAL", "fullName": "Ada Lovelace"})
            assert created.status_code == 201, created.text
            assert mine.get(f"/customers/{created.json()['id']}").status_code == 200
            assert theirs.get(f"/customers/{created.json()['id']}").status_code == 404
            assert theirs.get("/customers").json()["data"] == []
            # Each app authenticates against its own tokens.
            assert theirs.get("/customers", headers=token.headers).status_code == 401
    finally:
        other_database.dispose()
