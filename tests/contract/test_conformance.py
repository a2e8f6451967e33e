"""Schemathesis over real HTTP against the running app: the official contract, then the app's own document."""

from __future__ import annotations

import copy
import os
import shutil
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.core.jsonschema.bundler import BUNDLE_STORAGE_KEY
from schemathesis.generation.feedback import NO_FEEDBACK
from schemathesis.pytest._test_builder import build_operation_test
from schemathesis.specs.openapi import examples as openapi_examples
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from railbook import API_PREFIX
from railbook.app import create_app
from railbook.config import Mode, Settings
from railbook.customers.service import ensure_example_customer
from railbook.db import Database
from railbook.openapi import METHODS
from railbook.principal import Principal
from railbook.providers.plaid.simulator import create_simulator
from tests.conftest import DATABASES, TEST_SECRET_KEYS, Token, make_token
from tests.conftest import _truncate as truncate
from tests.support import loopback
from tests.support.brale import BraleControl, brale_settings, seed_request
from tests.support.offline_app import SERVED, served_document
from tests.support.receiver import Receiver, running_receiver
from tests.support.servers import bound_socket, serving
from tests.support.spec import conform, spec, validator


def _remember_single_examples() -> None:
    """Schemathesis fills each example with a generated value per sub-schema, drawn with a fixed seed:
    the same sub-schema always yields the same value. The 46 account types share their beneficiary,
    address and other sub-schemas, and both documents and both databases share them all, so each value
    is drawn once per process instead of thousands of times (a create operation: 17 s of drawing)."""
    draw = openapi_examples._generate_single_example
    drawn: dict[tuple[bytes, bytes, type], Any] = {}
    # Each sub-schema arrives with the operation's whole bundle of definitions beside it (~130 KB as
    # JSON, the same object for every sub-schema of one walk): it is serialized once per bundle, not
    # once per call (that was ten times the cost of the draws it saved). The bundle is kept with its
    # serialization so that its id cannot pass to another object.
    bundles: dict[int, tuple[Any, bytes]] = {}

    def serialized(value: Any) -> bytes:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=repr)

    def bundle_key(bundle: Any) -> bytes:
        if bundle is None:
            return b""
        if id(bundle) not in bundles:
            bundles[id(bundle)] = (bundle, serialized(bundle))
        return bundles[id(bundle)][1]

    def remembered(schema: dict[str, Any], generation_config: Any, validator_cls: type) -> Any:
        own = {name: value for name, value in schema.items() if name != BUNDLE_STORAGE_KEY}
        key = (serialized(own), bundle_key(schema.get(BUNDLE_STORAGE_KEY)), validator_cls)
        if key not in drawn:
            drawn[key] = draw(schema, generation_config, validator_cls)
        return copy.deepcopy(drawn[key])

    openapi_examples._generate_single_example = remembered


_remember_single_examples()


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
PLAID_CLIENT_ID, PLAID_SECRET = "railbook-sandbox", "railbook-sandbox-secret"
# Per operation: Schemathesis's examples phase (the contract's examples), then this many generated cases,
# positive and negative together. Derandomized, so every run sends the same requests. RAILBOOK_CONFORMANCE_DEEP=1
# adds the coverage phase (boundary and wrong-type values for every field) and 150 cases: ~10 min instead of ~1.5.
DEEP = os.environ.get("RAILBOOK_CONFORMANCE_DEEP") == "1"
MAX_EXAMPLES = 150 if DEEP else 25

# Answers the official contract does not declare for an operation, but Railbook gives on purpose. Each is
# accepted only with this exact status and code, and its body is still checked against the contract's
# Error schema for that status. Railbook's own document declares them, so that run excludes nothing.
UNDECLARED_BUT_INTENDED = {
    # The callback inherits the contract's global BasicAuth, and both seed documents of it list
    # `Authorization` as required, but its responses omit the 401 every other operation lists.
    ("submitPlaidPublicToken", 401): "UNAUTHORIZED",
}


# The contract's ownership (challenge/verify) and trust/untrust operations are not implemented: the routes
# filter decides, so an operation joins this test the moment Railbook serves it.
IMPLEMENTED = [
    operation["operationId"]
    for path, item in spec()["paths"].items()
    for method, operation in item.items()
    if isinstance(operation, dict) and "operationId" in operation and (method.upper(), path) in SERVED
]


def _config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": 20251013,
            "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
            # The contract declares no links, so there is nothing for the stateful phase to follow.
            "phases": {"stateful": {"enabled": False}, "coverage": {"enabled": DEEP}},
        }
    )


OFFICIAL = schemathesis.openapi.from_dict(copy.deepcopy(spec()), config=_config()).include(operation_id=IMPLEMENTED)
OWN = schemathesis.openapi.from_dict(served_document(), config=_config())


def run_operation(schema: Any, operation_id: str, target: Target, *, tolerated: dict[tuple[str, int], str]) -> None:
    """Schemathesis's examples, then its generated cases, for one operation, each sent and checked.

    The Hypothesis test is built here, when the test runs, rather than by Schemathesis's pytest plugin
    at collection: building it generates every example of the operation, which cost each test process
    about a minute before a single test ran (and every parallel worker collects every test).
    """
    [operation] = [
        result.ok()
        for result in schema.include(operation_id=operation_id).get_all_operations()
        if schema.get_operation_id(result.ok()) == operation_id
    ]

    def check(case: Any) -> None:
        call_and_check(case, target, tolerated=tolerated)

    test = build_operation_test(
        config=schema.config, operation=operation, test_func=check, given_kwargs={}, feedback=NO_FEEDBACK
    )
    test()


@dataclass(frozen=True)
class Target:
    """The running app and the resources seeded in it."""

    url: str
    token: Token
    # Path parameter name -> the id of a resource that exists.
    existing: dict[str, str]


@pytest.fixture(scope="module")
def plaid_url() -> Iterator[str]:
    """A Plaid simulator on its own port."""
    with serving(create_simulator(PLAID_CLIENT_ID, PLAID_SECRET)) as url:
        yield url


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    """A webhook receiver, so that POST /sandbox/webhooks/test can succeed."""
    with running_receiver() as running:
        yield running


@pytest.fixture(scope="module", params=DATABASES)
def database_url_for_module(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A clean, migrated database of each kind, shared by every operation of both runs."""
    # Module-scoped rather than conftest's per-test `database_url`: one server per database instead of one per
    # operation saves ~40 s, and operations then also meet what earlier ones created.
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("conformance") / "railbook.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    truncate(url)
    return url


@pytest.fixture(scope="module")
def target(
    database_url_for_module: str,
    tmp_path_factory: pytest.TempPathFactory,
    brale_url: str,
    plaid_url: str,
    receiver: Receiver,
) -> Iterator[Target]:
    """Railbook on a real port with both provider simulators, holding one resource of each kind."""
    settings = Settings(
        database_url=database_url_for_module,
        data_dir=tmp_path_factory.mktemp("data"),
        auth_cache_seconds=0,
        secret_keys=TEST_SECRET_KEYS,
        embedded_worker=False,
    )
    database = Database(settings.effective_database_url)
    token = make_token(database, "acme", Mode.SANDBOX)
    with database.transaction() as session:
        # As `railbook serve` does: the contract's examples name this customer.
        ensure_example_customer(session, Principal(token.id, token.platform_id, token.mode))
    BraleControl(brale_url).post("reset")  # the simulator is shared with other modules: no faults left on
    configured = brale_settings(settings, brale_url, plaid_simulator_url=plaid_url)
    try:
        with serving(create_app(configured, database), bound_socket(), lifespan="on") as url:
            yield Target(url, token, seed(f"{url}{API_PREFIX}", token, receiver.url))
    finally:
        database.dispose()


def seed(base_url: str, token: Token, webhook_url: str) -> dict[str, str]:
    """Create a customer, an account of each kind, a stablecoin link and a Plaid link token; return their ids."""
    with loopback.client(base_url=base_url, headers=token.headers, timeout=10) as client:

        def created(method: str, path: str, body: dict[str, Any], status: int = 201, **kwargs: Any) -> Any:
            response = client.request(method, path, json=body, **kwargs)
            assert response.status_code == status, response.text
            return conform(response)

        customer = created("POST", "/customers", {"customerType": "INDIVIDUAL", "fullName": "Ada Lovelace"})["id"]
        account = {
            "currency": "USD",
            "accountInfo": {
                "accountType": "USD_ACCOUNT", "accountNumber": "12345678901", "routingNumber": "011401533",
                "beneficiary": {"beneficiaryType": "INDIVIDUAL", "fullName": "Ada Lovelace"},
            },
        }  # fmt: skip
        customer_account = created("POST", "/customers/external-accounts", {**account, "customerId": customer})
        platform_account = created("POST", "/platform/external-accounts", account)
        link = created("POST", "/stablecoin-provider-accounts", seed_request(), headers={"Idempotency-Key": "seed"})
        # A customer of its own: deleting `customer` (DELETE /customers/{id} runs first) would end its Link session.
        holder = created("POST", "/customers", {"customerType": "INDIVIDUAL", "fullName": "Grace Hopper"})["id"]
        link_token = created("POST", "/plaid/link-tokens", {"customerId": holder}, status=200)["linkToken"]
        created("PATCH", "/config", {"webhookEndpoint": webhook_url}, status=200)
    return {
        "customerId": customer,
        # Both account paths share the parameter name; each path only finds accounts of its own kind.
        "externalAccountId": customer_account["id"],
        "platformExternalAccountId": platform_account["id"],
        "stablecoinProviderAccountId": link["id"],
        "plaid_link_token": link_token,
    }


# A path parameter's example in the contract stands for a resource that exists.
PATH_EXAMPLES = {
    parameter["example"]
    for item in spec()["paths"].values()
    for holder in (item, *(item[method] for method in METHODS if method in item))
    for parameter in holder.get("parameters", [])
    if parameter.get("in") == "path" and "example" in parameter
}


def aim(case: Any, target: Target) -> None:
    """Point documented example ids, and about half of the generated ones, at resources that exist.

    The half is chosen from the case itself, so every run sends the same requests.
    """
    for name, value in list((case.path_parameters or {}).items()):
        key = (
            "platformExternalAccountId" if case.path.startswith("/platform/") and name == "externalAccountId" else name
        )
        if key in target.existing and (value in PATH_EXAMPLES or zlib.crc32(repr(value).encode()) % 2 == 0):
            case.path_parameters[name] = target.existing[key]


def call_and_check(case: Any, target: Target, *, tolerated: dict[tuple[str, int], str]) -> None:
    """Send the case to the path its document's `servers` give, then run the four checks."""
    aim(case, target)
    schema = case.operation.schema
    response = case.call(base_url=target.url + schema.base_path.rstrip("/"), headers=target.token.headers)
    operation_id = schema.get_operation_id(case.operation)
    code = tolerated.get((operation_id, response.status_code))
    checks = CHECKS
    if code is not None:
        body = response.json()
        assert body.get("code") == code, f"{operation_id} answered {response.status_code} {body}"
        errors = list(validator({"$ref": f"#/components/schemas/Error{response.status_code}"}).iter_errors(body))
        assert not errors, errors
        checks = [check for check in CHECKS if check is not status_code_conformance]
    case.validate_response(response, checks=checks)


# One group per operation: its three runs (the contract on both databases, the served document on
# SQLite) share one process, and so the example values that process has drawn (`_remember_single_examples`).
BY_OPERATION = [
    pytest.param(operation, marks=pytest.mark.xdist_group(f"conformance-{operation}")) for operation in IMPLEMENTED
]


@pytest.mark.parametrize("operation_id", BY_OPERATION)
def test_official_contract(operation_id: str, target: Target) -> None:
    run_operation(OFFICIAL, operation_id, target, tolerated=UNDECLARED_BUT_INTENDED)


# On SQLite only: what this run adds to the official one is the served document's own declarations
# (401, 413, 429, 503, Railbook's operations), which do not depend on the database; the official
# contract's run covers both databases. A quarter of the suite's time was these four runs per operation.
@pytest.mark.parametrize("database_url_for_module", ["sqlite"], indirect=True)
@pytest.mark.parametrize("operation_id", BY_OPERATION)
def test_own_document(operation_id: str, target: Target) -> None:
    run_operation(OWN, operation_id, target, tolerated={})
