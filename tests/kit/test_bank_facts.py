"""Derived facts from real identifiers: exact values, each with its source; bad input gives no fact."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from railbook.kit.bank_facts import derive, fill_missing
from tests.kit.test_identifiers import NODE_KEY, make_invoice

IBAN_SOURCE = "schwifty IBAN registry"
BANK_SOURCE = "schwifty bank registry"
CLABE_SOURCE = "clabe package bank list"

# lightning.json's "expired invoice (the contract's example, from 2022)": issued 2022-04-28 00:29:30 UTC,
# 600 s of expiry, 15u = 1,500,000 msat.
CONTRACT_INVOICE = (
    "lnbc15u1p3xnhl2pp5jptserfk3zk4qy42tlucycrfwxhydvlemu9pqr93tuzlv9cc7g3sdqsvfhkcap3xyhx7un8cqzpgxqzjcsp5f8c52y2stc3"
    "00gl6s4xswtjpc37hrnnr3c9wvtgjfuvqmpm35evq9qyyssqy4lgd8tj637qcjp05rdpxxykjenthxftej7a2zzmwrmrl70fyj9hvj0rewhzj7jfyu"
    "wkwcg9g2jpwtk3wkjtwnkdks84hsnu8xps5vsq4gj5hs"
)
CONTRACT_PAYEE = "03d6b14390cd178d670aa2d57c93d9519feaae7d1e34264d8bbb7932d47b75a50d"
# EIP-55's own test vector, in its three spellings.
EIP55_VECTOR = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"


def at(text: str) -> datetime:
    """A UTC moment from ISO text."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- IBAN -----------------------------------------------------------------------------------------


def test_a_german_iban_in_print_form_names_commerzbank() -> None:
    assert derive({"accountType": "EUR_ACCOUNT", "iban": "de89 3704 0044 0532 0130 00"}) == {
        "iban": {"compact": "DE89370400440532013000", "print": "DE89 3704 0044 0532 0130 00", "country": "DE",
                 "bankCode": "37040044", "checkDigitsValid": True, "sepaReachable": True, "source": IBAN_SOURCE},
        "bank": {"name": "Commerzbank", "bic": "COBADEFFXXX", "country": "DE", "code": "37040044",
                 "source": BANK_SOURCE},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("iban", "bank", "bic", "code", "branch", "sepa"),
    [
        # iban.json's French IBAN, with its lower-case letter: La Banque Postale, bank 20041, branch 01005.
        ("FR1420041010050500013m02606", "LA BANQUE POSTALE", "PSSTFRPP", "20041", "01005", True),
        ("ES9121000418450200051332", "CAIXABANK, S.A.", "CAIXESBB", "2100", "0418", True),
        # iban.json's TRY business IBAN: Ziraat, bank code 00010; Turkey is outside SEPA.
        ("TR680001000000123456789012", "Türkiye Cumhuriyeti Ziraat Bankas\u0131 A.Ş.", "TCZBTR2A", "00010", None,
         False),
        ("GB21NWBK30963431926819", "NATIONAL WESTMINSTER BANK PUBLIC LIMITED COMPANY", "NWBKGB2LXXX", "NWBK",
         "309634", True),
        # The one Israeli bank schwifty's registry has (manual_il.json): Mizrahi Tefahot, bank code 020.
        ("IL680204610000000123456", "Mizrahi Tefahot Bank Ltd", "MIZBILIT", "020", "461", False),
    ],
)  # fmt: skip
def test_ibans_the_registry_knows(iban: str, bank: str, bic: str, code: str, branch: str | None, sepa: bool) -> None:
    facts = derive({"iban": iban})
    assert facts["bank"] == {"name": bank, "bic": bic, "country": iban[:2], "code": code, "source": BANK_SOURCE}
    assert facts["iban"]["bankCode"] == code
    assert facts["iban"].get("branchCode") == branch
    assert facts["iban"]["sepaReachable"] is sepa
    assert facts["iban"]["checkDigitsValid"] is True


def test_an_iban_whose_bank_the_registry_does_not_know_gives_its_structure_only() -> None:
    # iban.json's ILS example is Bank Leumi (010) and its TRY example bank 00061: neither is in the registry.
    for iban, code in (("IL620108000000099999999", "010"), ("TR330006100519786457841326", "00061")):
        facts = derive({"iban": iban})
        assert "bank" not in facts
        assert facts["iban"]["bankCode"] == code
        assert facts["iban"]["sepaReachable"] is False


def test_wrong_check_digits_still_name_the_bank_and_say_so() -> None:
    # The sandbox placeholder (iban.json sandbox_only): the bank code is read from its own positions.
    facts = derive({"iban": "DE00370400440532013000"})
    assert facts["iban"]["checkDigitsValid"] is False
    assert facts["bank"]["name"] == "Commerzbank"


# --- BIC ------------------------------------------------------------------------------------------


def test_a_bic_alone() -> None:
    assert derive({"accountType": "SWIFT_ACCOUNT", "swiftCode": "DEUTDEFF"}) == {
        "bic": {"bic": "DEUTDEFF", "country": "DE", "registered": True, "bankNames": ["Deutsche Bank"],
                "primary": True, "source": BANK_SOURCE},
        "bank": {"name": "Deutsche Bank", "bic": "DEUTDEFF", "country": "DE", "source": BANK_SOURCE},
    }  # fmt: skip


def test_a_bic_with_branch_names_is_named_by_the_majority() -> None:
    facts = derive({"swiftCode": "COBADEFFXXX"})
    assert facts["bank"]["name"] == "Commerzbank"
    assert len(facts["bic"]["bankNames"]) == 60 and "ZTB der Commerzbank" in facts["bic"]["bankNames"]
    # Danish entries are never marked primary in the registry.
    assert derive({"swiftBic": "NDEADKKK"})["bic"]["primary"] is False


def test_a_bic_whose_entries_disagree_names_no_bank() -> None:
    # CAIXESBB stands for the 18 banks CaixaBank absorbed, each named once: no name is the bank's.
    facts = derive({"swiftCode": "CAIXESBB"})
    assert "bank" not in facts
    assert "CAIXABANK, S.A." in facts["bic"]["bankNames"] and len(facts["bic"]["bankNames"]) == 18


def test_a_bic_the_registry_does_not_know() -> None:
    # swift_banks.json's HKD example: schwifty has no Hong Kong registry.
    assert derive({"swiftCode": "HSBCHKHHHKH"}) == {
        "bic": {"bic": "HSBCHKHHHKH", "country": "HK", "registered": False, "source": BANK_SOURCE},
    }


def test_the_iban_names_the_bank_when_a_bic_of_another_bank_is_sent() -> None:
    facts = derive({"accountType": "IBAN", "iban": "DE89370400440532013000", "swiftBic": "DEUTDEFF"})
    assert facts["bank"]["name"] == "Commerzbank"
    assert facts["bic"]["bankNames"] == ["Deutsche Bank"]


# --- CLABE ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clabe", "bank", "code", "spei"),
    [
        ("002180000118359710", "Banamex", "002", "40002"),  # latam.json: CLABE at Banamex
        ("012180001554433221", "BBVA Mexico", "012", "40012"),  # latam.json: CLABE at BBVA
    ],
)
def test_a_clabe_names_its_bank(clabe: str, bank: str, code: str, spei: str) -> None:
    assert derive({"accountType": "MXN_ACCOUNT", "clabeNumber": clabe}) == {
        "clabe": {"bankCode": code, "controlDigitValid": True, "source": CLABE_SOURCE},
        "bank": {"name": bank, "code": code, "speiCode": spei, "country": "MX", "source": CLABE_SOURCE},
    }


def test_clabes_that_fail_their_checks() -> None:
    # latam.json sandbox_only: a control digit off by one (Banorte), and the contract's unassigned code 123.
    off_by_one = derive({"clabeNumber": "072180009876543214"})
    assert off_by_one["clabe"]["controlDigitValid"] is False
    assert off_by_one["bank"]["name"] == "Banorte"
    assert derive({"clabeNumber": "123456789012345678"}) == {
        "clabe": {"bankCode": "123", "controlDigitValid": False, "source": CLABE_SOURCE},
    }


# --- Lightning ------------------------------------------------------------------------------------


def test_the_contract_invoice_before_and_at_its_expiry() -> None:
    facts = derive({"accountType": "LIGHTNING", "invoice": CONTRACT_INVOICE}, now=at("2022-04-28T00:30:00"))
    assert facts == {
        "lightning": {"network": "MAINNET", "amountMsat": 1_500_000, "amountSats": 1500,
                      "expiresAt": "2022-04-28T00:39:30.000Z", "expired": False, "expiresWithinHour": True,
                      "payeeNodeId": CONTRACT_PAYEE, "source": "bolt11 invoice decoder"},
    }  # fmt: skip
    at_expiry = derive({"invoice": CONTRACT_INVOICE}, now=at("2022-04-28T00:39:30"))["lightning"]
    assert (at_expiry["expired"], at_expiry["expiresWithinHour"]) == (True, False)
    second_before = derive({"invoice": CONTRACT_INVOICE}, now=at("2022-04-28T00:39:29"))["lightning"]
    assert (second_before["expired"], second_before["expiresWithinHour"]) == (False, True)
    # A naive `now` is UTC, not local time.
    naive = derive({"invoice": CONTRACT_INVOICE}, now=datetime(2022, 4, 28, 0, 39, 29))["lightning"]
    assert naive["expired"] is False


def test_an_invoice_more_than_an_hour_from_expiry() -> None:
    facts = derive({"invoice": CONTRACT_INVOICE}, now=at("2022-04-27T23:39:29"))["lightning"]
    assert (facts["expired"], facts["expiresWithinHour"]) == (False, False)


@pytest.mark.parametrize(("currency", "network"), [("tb", "TESTNET"), ("tbs", "SIGNET"), ("bcrt", "REGTEST")])
def test_test_network_invoices(currency: str, network: str) -> None:
    invoice = make_invoice(currency, issued=1_700_000_000, expiry=86_400)
    facts = derive({"invoice": invoice}, now=at("2023-11-14T22:13:20"))["lightning"]
    assert facts["network"] == network
    assert facts["expiresAt"] == "2023-11-15T22:13:20.000Z"
    assert facts["payeeNodeId"] == NODE_KEY.public_key.format().hex()


def test_invoice_amounts() -> None:
    def lightning(amount_msat: int | None) -> dict[str, Any]:
        facts: dict[str, Any] = derive({"invoice": make_invoice(amount_msat=amount_msat)})["lightning"]
        return facts

    assert "amountMsat" not in lightning(None) and "amountSats" not in lightning(None)
    # A fraction of a satoshi: the exact msat figure only.
    odd = lightning(1_500_001)
    assert odd["amountMsat"] == 1_500_001 and "amountSats" not in odd


# --- EVM ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "case"),
    [
        (EIP55_VECTOR, "checksummed"),
        (EIP55_VECTOR.lower(), "lowercase"),
        ("0x" + EIP55_VECTOR[2:].upper(), "uppercase"),
    ],
)
def test_evm_address_case(sent: str, case: str) -> None:
    assert derive({"accountType": "BASE_WALLET", "address": sent}) == {
        "evm": {"checksummedAddress": EIP55_VECTOR, "addressCase": case, "source": "EIP-55 checksum (keccak-256)"},
    }


def test_a_rail_case_lower_case_address() -> None:
    # crypto_wallets.json: "Base USDC, all lower case (no checksum to check)".
    facts = derive({"address": "0x95fbe4693e691615c71811e47b389ebab0aa107b"})
    assert facts["evm"]["checksummedAddress"] == "0x95fBe4693e691615C71811E47b389EbaB0Aa107B"


# --- nothing from bad or unsupported input --------------------------------------------------------


@pytest.mark.parametrize(
    "account_info",
    [
        {},
        {"iban": "DE8937040044053201300"},  # one digit short for Germany
        {"iban": "XX89370400440532013000"},  # no such country
        {"iban": "GB29-NWBK-6016-1331-9268-19"},
        {"iban": ""},
        {"iban": 89370400440532013000},
        {"swiftCode": "cobadeff"},
        {"swiftCode": "COBAXXFF"},  # unassigned country
        {"swiftCode": "COBADEFF\n"},
        {"clabeNumber": "00218000011835971"},
        {"clabeNumber": "00218000011835971\u00b2"},
        {"invoice": "lnbc-this-is-not-an-invoice"},
        {"invoice": CONTRACT_INVOICE[:-1] + "t"},  # lightning.json: bech32 checksum does not match
        {"invoice": None},
        {"address": "0xeC1Cd86063E4e66d7506bD20eBCc9eEC66E621eD"},  # mixed case, wrong EIP-55 checksum
        {"address": "D9eoRmt9ieyb4bo3MjWaNqpPtGStxJezL1s3mjJcMufX"},  # a Solana address
        {"address": EIP55_VECTOR.lower() + "\n"},
        # No maintained directory: a routing number or an IFSC gives nothing, valid as they are.
        {"accountType": "USD_ACCOUNT", "routingNumber": "021000021"},
        {"accountType": "INR_ACCOUNT", "ifscCode": "HDFC0000001"},
    ],
)
def test_no_fact_from_bad_or_undirectoried_identifiers(account_info: dict[str, Any]) -> None:
    assert derive(account_info) == {}


IDENTIFIER_KEYS = ("iban", "swiftCode", "swiftBic", "bic", "clabeNumber", "clabe", "invoice", "address")
REAL = ("DE89370400440532013000", "COBADEFFXXX", "002180000118359710", CONTRACT_INVOICE, EIP55_VECTOR)


@st.composite
def mangled(draw: st.DrawFn) -> str:
    """A real identifier with a slice replaced by arbitrary text."""
    real = draw(st.sampled_from(REAL))
    start = draw(st.integers(0, len(real)))
    end = draw(st.integers(start, len(real)))
    return real[:start] + draw(st.text(max_size=4)) + real[end:]


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(IDENTIFIER_KEYS),
        st.one_of(mangled(), st.text(max_size=40), st.integers(), st.none(), st.lists(st.text(max_size=3))),
    )
)
def test_derive_and_fill_missing_never_raise(account_info: dict[str, Any]) -> None:
    derive(account_info, now=at("2022-04-28T00:30:00"))
    fill_missing(account_info, fields=("bankName", "swiftCode"))


# --- fill_missing ---------------------------------------------------------------------------------


def test_fill_missing_gives_only_the_fields_asked_for_and_left_out() -> None:
    eur = {"accountType": "EUR_ACCOUNT", "iban": "DE89370400440532013000"}
    assert fill_missing(eur, fields=("swiftCode",)) == {"swiftCode": "COBADEFFXXX"}
    assert fill_missing(eur, fields=("swiftCode", "bankName")) == {
        "swiftCode": "COBADEFFXXX",
        "bankName": "Commerzbank",
    }
    assert fill_missing({**eur, "swiftCode": "COBADEFF"}, fields=("swiftCode",)) == {}
    assert fill_missing({**eur, "bankName": "Commerzbank AG"}, fields=("bankName",)) == {}
    assert fill_missing(eur, fields=()) == {}
    # An empty bankName is one left out.
    assert fill_missing({**eur, "bankName": ""}, fields=("bankName",)) == {"bankName": "Commerzbank"}


def test_fill_missing_from_a_bic_or_a_clabe() -> None:
    # A BIC sent is never "filled": only the name comes from it.
    assert fill_missing({"swiftBic": "RJHISARI"}, fields=("bankName", "swiftCode")) == {"bankName": "AL RAJHI BANK"}
    assert fill_missing({"clabeNumber": "002180000118359710"}, fields=("bankName", "swiftCode")) == {
        "bankName": "Banamex"
    }


def test_fill_missing_guesses_nothing() -> None:
    # Bank Leumi is not in the registry; neither HSBC Hong Kong nor the banks behind CAIXESBB give one name.
    assert fill_missing({"iban": "IL620108000000099999999"}, fields=("bankName", "swiftCode")) == {}
    assert fill_missing({"swiftCode": "HSBCHKHHHKH"}, fields=("bankName",)) == {}
    assert fill_missing({"swiftCode": "CAIXESBB"}, fields=("bankName",)) == {}
    assert fill_missing({"iban": "DE8937040044053201300"}, fields=("bankName", "swiftCode")) == {}
