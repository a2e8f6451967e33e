"""Wire conventions shared by every endpoint: error bodies, request ids, the access log, health."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from railbook.app import create_app
from railbook.config import Settings
from railbook.db import Database
from tests.conftest import Token
from tests.support.spec import assert_error, conform

ROOT = "http://testserver"


def test_unknown_route_is_grid_404(api: TestClient) -> None:
    assert_error(api.get("/no-such-thing"), 404, "REFERENCE_NOT_FOUND")


def test_wrong_method_is_grid_405(api: TestClient) -> None:
    response = api.put("/customers", json={})
    assert_error(response, 405, "METHOD_NOT_ALLOWED")


def test_malformed_json_is_400(api: TestClient) -> None:
    response = api.post("/customers", content=b'{"customerType": ', headers={"Content-Type": "application/json"})
    assert_error(response, 400, "INVALID_INPUT")
    conform(response)


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"42", b'{"customerType": 7}', b'{"customerType": null}'])
def test_wrong_json_shapes_are_400(api: TestClient, body: bytes) -> None:
    response = api.post("/customers", content=body, headers={"Content-Type": "application/json"})
    assert_error(response, 400, "INVALID_INPUT")


def test_numbers_where_strings_belong_name_the_field(api: TestClient) -> None:
    response = api.post("/customers", json={"customerType": "INDIVIDUAL", "fullName": 12, "address": {"line1": []}})
    errors = assert_error(response, 400, "INVALID_INPUT")["details"]["errors"]
    assert {"fullName", "address.line1", "address.postalCode", "address.country"} == {e["field"] for e in errors}


def test_oversized_body_is_413_before_parsing(api: TestClient) -> None:
    big = b'{"customerType": "INDIVIDUAL", "fullName": "' + b"x" * (1024 * 1024) + b'"}'
    response = api.post("/customers", content=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert "x-request-id" in response.headers
    assert api.get("/customers").json()["totalCount"] == 0


def test_oversized_chunked_body_is_413(api: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"customerType": "INDIVIDUAL", "fullName": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    response = api.post("/customers", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"


def test_unexpected_failure_is_500_without_internals(api: TestClient, database: Database) -> None:
    with database.transaction() as session:
        cascade = "" if database.is_sqlite else " CASCADE"
        session.execute(text(f"DROP TABLE customers{cascade}"))
    response = api.get("/customers")
    body = assert_error(response, 500, "INTERNAL_ERROR")
    conform(response)
    for leak in ("SELECT", "customers", "Traceback", "sqlalchemy", "psycopg", "sqlite"):
        assert leak not in response.text, leak
    assert set(body) == {"status", "code", "message"}


def test_request_id_is_generated_or_echoed(api: TestClient) -> None:
    generated = {api.get("/customers").headers["x-request-id"] for _ in range(20)}
    assert len(generated) == 20 and all(uuid.UUID(request_id).version == 4 for request_id in generated)
    assert api.get("/customers", headers={"X-Request-Id": "req-123"}).headers["x-request-id"] == "req-123"
    # An id that could not be safely echoed into a header or log is replaced.
    assert api.get("/customers", headers={"X-Request-Id": "a b\tc"}).headers["x-request-id"] != "a b\tc"
    assert "x-request-id" in api.get("/nowhere").headers


def test_one_access_log_line_per_request_without_secrets(
    api: TestClient, token: Token, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="railbook")
    api.post("/customers", json={"customerType": "INDIVIDUAL", "fullName": "Jo"}, headers={"X-Request-Id": "r-1"})
    lines = [record for record in caplog.records if record.name == "railbook.access"]
    assert len(lines) == 1
    line = lines[0].__dict__
    assert (line["method"], line["path"], line["status"], line["request_id"], line["token_id"]) == (
        "POST", "/grid/2025-10-13/customers", 201, "r-1", token.id,
    )  # fmt: skip
    assert isinstance(line["duration_ms"], float)
    api.get("/customers", headers={"Authorization": "Basic " + "QUJDOkRFRg=="})
    everything = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    for secret in (token.secret, token.headers["Authorization"], "QUJDOkRFRg=="):
        assert secret not in everything


def test_json_log_formatter_renders_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from railbook.logs import configure_logging

    configure_logging("INFO")
    try:
        logging.getLogger("railbook.access").info("request", extra={"status": 200, "path": "/x"})
        line = capsys.readouterr().err.strip().splitlines()[-1]
    finally:
        logging.getLogger("railbook").handlers.clear()
        logging.getLogger("railbook").propagate = True
    import orjson

    parsed = orjson.loads(line)
    assert (parsed["message"], parsed["status"], parsed["path"], parsed["level"]) == (
        "request",
        200,
        "/x",
        "INFO",
    )


def test_healthz_answers_when_the_database_does(client: TestClient) -> None:
    response = client.get(f"{ROOT}/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    database = Database("postgresql://postgres@127.0.0.1:1/nowhere")
    settings = Settings(database_url=database.url, data_dir=tmp_path)
    with TestClient(create_app(settings, database)) as client:
        response = client.get(f"{ROOT}/healthz")
    assert response.status_code == 503
    database.dispose()
