"""The OpenAPI document Railbook serves: the contract's own operations and schemas, Railbook's additions marked."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter

from railbook import API_PREFIX
from railbook.openapi import CONTRACT, LATER_PIECES, METHODS, build_document
from railbook.openapi_additions import RAILBOOK_PATHS, RAILBOOK_PROPERTIES, RAILBOOK_SCHEMAS
from tests.support import loopback
from tests.support.offline_app import APP, SERVED, served_document
from tests.support.servers import serving
from tests.support.spec import CURRENT, LATER, reference, spec


def without_additions(operation: dict[str, Any]) -> dict[str, Any]:
    """The operation as the contract has it: Railbook's marked parameters, responses and security removed."""
    stripped = copy.deepcopy(operation)
    if stripped.pop("x-railbook", None) is not None:
        stripped.pop("security")
    parameters = [parameter for parameter in stripped.pop("parameters", []) if "x-railbook" not in parameter]
    if parameters:
        stripped["parameters"] = parameters
    stripped["responses"] = {
        status: response for status, response in stripped["responses"].items() if "x-railbook" not in response
    }
    return stripped


@pytest.mark.parametrize(("packaged", "name"), [(CONTRACT, CURRENT), (LATER_PIECES, LATER)])
def test_packaged_contract_is_the_repositorys_reference(packaged: Path, name: str) -> None:
    with packaged.open(encoding="utf-8") as handle:
        vendored = json.load(handle)
    assert vendored == reference(name), (
        f"{packaged.name} differs from {name} in contract/; regenerate it with: "
        ".venv/bin/python -c 'from tests.contract.test_served_document import vendor; vendor()'"
    )


def vendor() -> None:
    """Write the repository's reference contract into the package as JSON (after `contract/reference` changes)."""
    for packaged, name in ((CONTRACT, CURRENT), (LATER_PIECES, LATER)):
        packaged.write_text(json.dumps(reference(name), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def test_served_document_has_every_route_with_the_contracts_schemas_and_examples() -> None:
    document = served_document()
    official = spec()
    assert document["servers"] == [{"url": API_PREFIX}]
    for method, path in sorted(SERVED):
        assert method.lower() in document["paths"].get(path, {}), f"{method} {path} is served but not documented"
        served = document["paths"][path][method.lower()]
        if path not in official["paths"]:
            # Railbook's own operation (rules as data): marked, and documented as the additions module says.
            assert served["x-railbook"], f"{method} {path} is Railbook's own but not marked x-railbook"
            assert without_additions(served) == without_additions(RAILBOOK_PATHS[path][method.lower()])
            continue
        # Request and response bodies, parameters, examples and descriptions: all the contract's own.
        assert without_additions(served) == official["paths"][path][method.lower()], f"{method} {path}"
        path_level = {key: value for key, value in document["paths"][path].items() if key.lower() not in METHODS}
        assert path_level == {k: v for k, v in official["paths"][path].items() if k.lower() not in METHODS}
    documented = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item if method in METHODS
    }
    assert documented == SERVED, "the document describes operations the app does not serve"
    ours = {name for name, schema in document["components"]["schemas"].items() if "x-railbook" in schema}
    assert ours == {"Error413", "Error429", "Error503", *RAILBOOK_SCHEMAS}
    for name, schema in document["components"]["schemas"].items():
        if name in ours:
            continue
        added = RAILBOOK_PROPERTIES.get(name, {})
        if added:
            # A property Railbook adds to a contract schema is marked; the rest is the contract's.
            assert all(schema["properties"][key]["x-railbook"] for key in added), name
            kept = {key: value for key, value in schema["properties"].items() if key not in added}
            schema = {**schema, "properties": kept}
        assert schema == official["components"]["schemas"][name], name
    served_webhooks = copy.deepcopy(document["webhooks"])
    assert "previousStatus" in served_webhooks["external-account-status"]["post"].pop("x-railbook")
    assert served_webhooks == official["webhooks"]
    assert document["components"]["securitySchemes"] == official["components"]["securitySchemes"]


def test_railbook_additions_are_the_ones_it_answers() -> None:
    paths = served_document()["paths"]
    create = paths["/customers/external-accounts"]["post"]
    # An unknown customerId in the body is a 400: the create declares no 404, as in the contract.
    assert "404" not in create["responses"]
    [key] = [parameter for parameter in create["parameters"] if parameter["name"] == "Idempotency-Key"]
    assert (key["in"], key["required"]) == ("header", False)
    [required] = paths["/stablecoin-provider-accounts"]["post"]["parameters"]
    assert required["required"] is True and "x-railbook" not in required
    callback = paths["/plaid/callback/{plaid_link_token}"]["post"]
    assert "security" not in callback and {"401", "429"} <= set(callback["responses"])
    assert all(
        "503" in operation["responses"] for item in paths.values() for m, operation in item.items() if m in METHODS
    )


def test_document_and_docs_are_served_over_http() -> None:
    with serving(APP) as url:
        document = loopback.get(f"{url}{API_PREFIX}/openapi.json", timeout=10)
        docs = loopback.get(f"{url}{API_PREFIX}/docs", timeout=10)
    assert document.status_code == 200 and document.json() == served_document()
    assert docs.status_code == 200 and f"{API_PREFIX}/openapi.json" in docs.text


def test_a_route_outside_the_contract_is_refused() -> None:
    router = APIRouter(prefix=API_PREFIX)

    @router.get("/quotes")
    def quotes() -> dict[str, str]:
        return {}

    with pytest.raises(LookupError, match="GET /quotes"):
        build_document([*APP.routes, *router.routes])


def test_the_served_document_carries_grids_later_pieces() -> None:
    document = served_document()
    schemas, paths = document["components"]["schemas"], document["paths"]
    # PR #1024: the test webhook moved; PR #907: Arbitrum wallets.
    assert "post" in paths["/webhooks/test"] and "/sandbox/webhooks/test" not in paths
    create_mapping = schemas["ExternalAccountCreateInfoOneOf"]["discriminator"]["mapping"]
    assert create_mapping["ARBITRUM_WALLET"] == "#/components/schemas/ArbitrumWalletExternalAccountInfo"
    assert "ARBITRUM_WALLET" in schemas["ExternalAccountType"]["enum"]
    # PR #880 and the bundled spec after it: Israel and Turkey.
    assert create_mapping["ILS_ACCOUNT"] == "#/components/schemas/IlsExternalAccountCreateInfo"
    assert create_mapping["TRY_ACCOUNT"] == "#/components/schemas/TryExternalAccountCreateInfo"
    # PR #880: each currency's business beneficiary, and Grid's limits.
    eur = schemas["EurExternalAccountCreateInfo"]["allOf"][2]["properties"]["beneficiary"]
    assert eur["discriminator"]["mapping"]["BUSINESS"] == "#/components/schemas/EurBusinessBeneficiary"
    required = schemas["EurBusinessBeneficiary"]["required"]
    assert set(required) == {"beneficiaryType", "countryOfResidence", "legalName", "registrationNumber", "taxId"}
    bdt = schemas["BdtExternalAccountInfo"]["allOf"][2]["properties"]["beneficiary"]
    assert bdt["discriminator"]["mapping"]["BUSINESS"] == "#/components/schemas/BusinessBeneficiary"
    assert schemas["EurBeneficiary"]["properties"]["fullName"]["maxLength"] == 250
    assert schemas["BusinessBeneficiary"]["properties"]["taxId"]["maxLength"] == 100
