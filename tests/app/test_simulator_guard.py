"""The simulators mounted in Railbook: control switches closed off loopback, the Link page calls back only home."""

from __future__ import annotations

import pytest

from railbook import API_PREFIX
from railbook.config import Settings
from railbook.db import Database
from tests.conftest import Token
from tests.support.clients import api_client

CONTROLS = ("/_simulators/plaid/_control/reset", "/_simulators/brale/_control/reset")


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3"])
def test_control_switches_need_credentials_on_a_network_bind(
    settings: Settings, database: Database, token: Token, host: str
) -> None:
    with api_client(settings.model_copy(update={"host": host}), database) as client:
        for path in CONTROLS:
            refused = client.post(f"http://testserver{path}")
            assert (refused.status_code, refused.json()["code"]) == (401, "UNAUTHORIZED"), path
            forged = client.post(f"http://testserver{path}", auth=("bogus", "bogus"))
            assert forged.status_code == 401, path
            assert client.post(f"http://testserver{path}", headers=token.headers).status_code == 200, path
        # The pages people use stay open: only the switches are guarded.
        page = client.get("http://testserver/_simulators/plaid/link?token=link-sandbox-unknown")
        assert page.status_code == 404 and "unknown or has expired" in page.text


def test_control_switches_stay_open_on_loopback(settings: Settings, database: Database) -> None:
    with api_client(settings.model_copy(update={"host": "127.0.0.1"}), database) as client:
        for path in CONTROLS:
            assert client.post(f"http://testserver{path}").status_code == 200, path


@pytest.mark.parametrize(
    "callback",
    ["http://10.0.0.1:9/hook", "http://127.0.0.1:5432/", f"https://evil.example{API_PREFIX}/plaid/callback/x",
     f"{API_PREFIX}/plaid/callback/x?next=http://10.0.0.1", f"{API_PREFIX}/plaid/callback/x/../../../config",
     "/_simulators/plaid/_control/reset"],
)  # fmt: skip
def test_the_link_page_calls_back_only_to_its_own_callback_path(
    settings: Settings, database: Database, callback: str
) -> None:
    with api_client(settings, database) as client:
        form = {"callbackUrl": callback, "publicToken": "public-sandbox-x", "accountId": "a"}
        page = client.post("http://testserver/_simulators/plaid/link/submit", data=form)
    assert page.status_code == 400 and "own Plaid callback path" in page.text
