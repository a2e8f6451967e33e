"""GridRoute: an endpoint taking only the request is called as it is, and nothing meant to guard it is skipped."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.testclient import TestClient

from railbook.error_handlers import install_error_handlers
from railbook.kit.wire import JSONBody
from railbook.routing import GridRoute, read_json


def refuse() -> None:
    raise HTTPException(403, "refused by the router")


def echo_app(*, router_dependencies: list[Any] | None = None) -> TestClient:
    router = APIRouter(route_class=GridRoute)

    @router.post("/echo")
    async def echo(request: Request) -> Any:
        return JSONBody({"got": await read_json(request)}, status_code=201)

    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router, dependencies=router_dependencies or [])
    return TestClient(app)


def test_an_endpoint_taking_only_the_request_reads_its_body_strictly() -> None:
    client = echo_app()
    assert client.post("/echo", json={"a": 1}).json() == {"got": {"a": 1}}
    repeated = client.post("/echo", content=b'{"a": 1, "a": 2}', headers={"Content-Type": "application/json"})
    assert repeated.status_code == 400
    assert repeated.json()["details"]["errors"] == [{"field": "a", "message": "appears more than once"}]
    not_json = client.post("/echo", content=b'{"a": 1}', headers={"Content-Type": "text/plain"})
    assert (not_json.status_code, not_json.json()["details"]["errors"][0]["field"]) == (400, "Content-Type")
    assert client.post("/echo").json() == {"got": None}


def test_a_router_dependency_still_guards_an_endpoint_taking_only_the_request() -> None:
    client = echo_app(router_dependencies=[Depends(refuse)])
    response = client.post("/echo", json={"a": 1})
    assert response.status_code == 403
