"""GridRoute: endpoints taking only the request, or plain path and query values, skip FastAPI's pass, and no guard."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.routing import APIRoute
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


class Colour(StrEnum):
    RED = "RED"
    BLUE = "BLUE"


async def find(
    request: Request,
    thing_id: Annotated[str, Path(alias="thingId", min_length=3)],
    limit: Annotated[int, Query(ge=1, le=5)] = 2,
    name: Annotated[str | None, Query(alias="theName", min_length=2, max_length=4)] = None,
    colour: Annotated[Colour | None, Query()] = None,
    flag: Annotated[bool, Query(alias="isFlagged")] = False,
    after: Annotated[datetime | None, Query()] = None,
) -> Any:
    assert isinstance(request, Request)
    values = {"thing": thing_id, "limit": limit, "name": name, "colour": colour, "flag": flag, "after": after}
    return JSONBody({key: repr(value) for key, value in values.items()})


def plain_parameters_app(route_class: type[APIRoute]) -> TestClient:
    router = APIRouter(route_class=route_class)
    router.add_api_route("/things/{thingId}", find, methods=["GET"])
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    return TestClient(app)


QUERIES = [
    "/things/abc",
    "/things/abc?limit=5&theName=xy&colour=BLUE&isFlagged=true&after=2026-12-01T10:00:00Z",
    "/things/abc?limit=3&limit=4&isFlagged=1&theName=wxyz",
    "/things/abc?name=ignored&thing_id=ignored&unknown=1",
    "/things/abc?limit=0",
    "/things/abc?limit=6&theName=x&colour=GREEN",
    "/things/abc?limit=two",
    "/things/abc?limit=",
    "/things/abc?isFlagged=perhaps&after=yesterday",
    "/things/ab",
]


def test_a_route_with_plain_parameters_answers_as_fastapis_own_pass_does() -> None:
    # Checked by one model instead of FastAPI's pass over each parameter: the same values reach
    # the endpoint, and what the model refuses gets FastAPI's own error.
    ours, fastapis = plain_parameters_app(GridRoute), plain_parameters_app(APIRoute)
    for path in QUERIES:
        mine, theirs = ours.get(path), fastapis.get(path)
        assert (mine.status_code, mine.json()) == (theirs.status_code, theirs.json()), path
    assert ours.get(QUERIES[1]).json() == {
        "thing": "'abc'", "limit": "5", "name": "'xy'", "colour": "<Colour.BLUE: 'BLUE'>", "flag": "True",
        "after": "datetime.datetime(2026, 12, 1, 10, 0, tzinfo=TzInfo(0))",
    }  # fmt: skip
    assert ours.get("/things/abc?limit=0").json()["details"]["errors"][0]["field"] == "limit"


def test_a_route_with_plain_parameters_skips_fastapis_pass_and_keeps_router_dependencies() -> None:
    handler = GridRoute("/things/{thingId}", find, methods=["GET"]).get_route_handler()
    assert handler.__qualname__ == "PlainParameters.handler.<locals>.checked"
    posted = GridRoute("/things/{thingId}", find, methods=["POST"]).get_route_handler()
    assert posted.__qualname__ == "GridRoute.get_route_handler.<locals>.strict"  # its body is parsed strictly
    router = APIRouter(route_class=GridRoute)

    @router.get("/guarded")
    async def guarded(request: Request, limit: int = 1) -> Any:
        return JSONBody({"limit": limit})

    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router, dependencies=[Depends(refuse)])
    assert TestClient(app).get("/guarded?limit=2").status_code == 403
