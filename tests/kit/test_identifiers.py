"""The kit's identifier checks, alone: generated valid identifiers pass, any single-digit change fails."""

from __future__ import annotations

import time
import uuid

import base58
import pytest
from bech32 import CHARSET, bech32_create_checksum, bech32_hrp_expand, bech32_polymod, convertbits
from bolt11 import Bolt11, Tag, TagChar, Tags
from bolt11 import encode as encode_bolt11
from clabe import BANKS, compute_control_digit
from coincurve import PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st
from schwifty import IBAN

from railbook.kit.identifiers import CheckDigitError, FormatError, IdentifierError
from railbook.kit.identifiers.aba import check_routing_number
from railbook.kit.identifiers.base58 import check_solana_address, check_tron_address
from railbook.kit.identifiers.bech32 import BECH32M_CONST, check_spark_address, decode_bech32, split_bech32
from railbook.kit.identifiers.bic import check_bic
from railbook.kit.identifiers.clabe import check_clabe
from railbook.kit.identifiers.cpf_cnpj import check_cnpj, check_cpf, check_cpf_or_cnpj
from railbook.kit.identifiers.evm import check_evm_address, eip55
from railbook.kit.identifiers.iban import check_iban
from railbook.kit.identifiers.lightning import check_invoice, check_lightning_address, check_offer

# A fixed key so failures reproduce; any valid secp256k1 secret would do.
NODE_KEY = PrivateKey(bytes.fromhex("e126f68f7eafcc8b74f54d269fe206be715000f94dac067d1c04a8ca3b2db734"))
OTHER_KEY = PrivateKey(bytes(31) + b"\x07")
TRON_USDT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
BOLT12_OFFER = (
    "lno1pqps7sjqpgtyzm3qv4uxzmtsd3jjqer9wd3hy6tsw35k7msjzfpy7nz5yqcnygrfdej82um5wf5k2uckyypwa3eyt44h6txtxquqh7lz5djge4"
    "afgfjn7k4rgrkuag0jsd5xvxg"
)


# --- builders (also used by the API tests) -------------------------------------------------------


def make_invoice(
    currency: str = "bc",
    *,
    issued: int | None = None,
    expiry: int = 3600,
    description: str = "coffee",
    key: PrivateKey = NODE_KEY,
    payee: PrivateKey | None = None,
    payment_hash: str | None = None,
    amount_msat: int | None = 1_500_000,
) -> str:
    """A real BOLT11 invoice signed by `key`; `payee` names a node in the n field (another one to break it)."""
    tags = Tags()
    tags.add(TagChar.payment_hash, payment_hash or uuid.uuid4().hex * 2)
    tags.add(TagChar.payment_secret, "11" * 32)
    tags.add(TagChar.description, description)
    tags.add(TagChar.expire_time, expiry)
    if payee is not None:
        tags.tags.append(Tag(TagChar.payee, payee.public_key.format().hex()))
    invoice = Bolt11(currency=currency, date=issued or int(time.time()), tags=tags, amount_msat=amount_msat)
    return encode_bolt11(invoice, private_key=key.to_hex(), keep_payee=payee is not None)


def make_spark_address(prefix: str = "spark", key: PrivateKey = NODE_KEY, *, payload: bytes | None = None) -> str:
    """A Spark address: the SparkAddress protobuf (field 1, the identity key) in bech32m."""
    raw = payload if payload is not None else bytes([0x0A, 0x21]) + key.public_key.format()
    words = convertbits(raw, 8, 5)
    assert words is not None
    checksum = bech32m_checksum(prefix, words)
    return prefix + "1" + "".join(CHARSET[word] for word in words + checksum)


def bech32m_checksum(hrp: str, words: list[int]) -> list[int]:
    """BIP-350: the bech32 checksum computed against the bech32m constant."""
    polymod = bech32_polymod(bech32_hrp_expand(hrp) + words + [0] * 6) ^ BECH32M_CONST
    return [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]


def aba_check_digit(first_eight: str) -> str:
    """The ninth digit that makes the 3-7-1 weighted sum a multiple of ten."""
    weights = (3, 7, 1, 3, 7, 1, 3, 7)
    return str(-sum(w * int(d) for w, d in zip(weights, first_eight, strict=True)) % 10)


def other_digits(text: str) -> list[str]:
    """Every string that differs from `text` in exactly one digit (replaced by another digit)."""
    return [
        text[:i] + new + text[i + 1 :]
        for i, old in enumerate(text)
        if old.isdigit()
        for new in "0123456789"
        if new != old
    ]


# --- check digits: properties ----------------------------------------------------------------------

IBAN_COUNTRIES = {
    "DE": {"bank_code": 8, "account_code": 10},
    "FR": {"bank_code": 5, "branch_code": 5, "account_code": 11},
    "NL": {"account_code": 10},
    "DK": {"bank_code": 4, "account_code": 10},
    "AE": {"bank_code": 3, "account_code": 16},
}


@st.composite
def ibans(draw: st.DrawFn) -> str:
    country = draw(st.sampled_from(sorted(IBAN_COUNTRIES)))
    parts = {
        name: draw(st.text("0123456789", min_size=size, max_size=size))
        for name, size in IBAN_COUNTRIES[country].items()
    }
    if country == "NL":
        parts["bank_code"] = draw(st.sampled_from(["ABNA", "INGB", "RABO"]))
    return str(IBAN.generate(country, **parts))


@settings(max_examples=40, deadline=None)
@given(ibans())
def test_generated_iban_passes_and_every_single_digit_change_fails(iban: str) -> None:
    assert check_iban(iban) == iban
    assert check_iban(iban, country=iban[:2]) == iban
    for changed in other_digits(iban[2:]):
        with pytest.raises(CheckDigitError):
            check_iban(iban[:2] + changed)


@settings(max_examples=60, deadline=None)
@given(st.text("0123456789", min_size=8, max_size=8))
def test_computed_aba_routing_number_passes_and_every_single_digit_change_fails(first_eight: str) -> None:
    routing = first_eight + aba_check_digit(first_eight)
    assert check_routing_number(routing) == routing
    for changed in other_digits(routing):
        with pytest.raises(CheckDigitError):
            check_routing_number(changed)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(BANKS)), st.text("0123456789", min_size=14, max_size=14))
def test_computed_clabe_passes_and_every_single_digit_change_fails(bank: str, rest: str) -> None:
    clabe = bank + rest + compute_control_digit(bank + rest)
    assert check_clabe(clabe) == clabe
    for changed in other_digits(clabe):
        # A change in the bank code may land on an unassigned code: also a CheckDigitError.
        with pytest.raises(CheckDigitError):
            check_clabe(changed)


def cpf_check_digits(first_nine: str) -> str:
    """The standard CPF algorithm: two mod-11 digits, weights 10..2 then 11..2; remainders 0 and 1 give 0."""
    first = -sum((10 - i) * int(d) for i, d in enumerate(first_nine)) % 11 % 10
    second = -sum((11 - i) * int(d) for i, d in enumerate(first_nine + str(first))) % 11 % 10
    return f"{first}{second}"


def is_cpf(number: str) -> bool:
    """An independent oracle: right check digits (and not all zeros)."""
    return cpf_check_digits(number[:9]) == number[9:] and int(number) > 0


@settings(max_examples=60, deadline=None)
@given(st.text("0123456789", min_size=9, max_size=9).filter(lambda digits: len(set(digits)) > 1))
def test_computed_cpf_passes_and_single_digit_changes_fail_unless_still_a_cpf(first_nine: str) -> None:
    number = first_nine + cpf_check_digits(first_nine)
    assert check_cpf(number) == number
    assert check_cpf_or_cnpj(number) == number
    for changed in other_digits(number):
        if is_cpf(changed):
            assert check_cpf(changed) == changed
            continue
        with pytest.raises(CheckDigitError):
            check_cpf(changed)


def test_cpf_does_not_catch_every_single_digit_change() -> None:
    # The first digit weighs 11 (= 0 mod 11) in the second check digit, and remainders 0 and 1 both give
    # a first check digit of 0: so 4→5 in front keeps both check digits. CPF is weaker than mod-97 or 3-7-1.
    assert check_cpf("47193883704") == "47193883704"
    assert check_cpf("57193883704") == "57193883704"
    assert is_cpf("47193883704") and is_cpf("57193883704")


# --- shapes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("check", "value"),
    [
        (check_routing_number, "01140153"),
        (check_routing_number, "01140153A"),
        (check_clabe, "00201007777777777"),
        (check_clabe, "00201007777777777X"),
        (check_clabe, "00218000011835971\u00b2"),  # a superscript two: str.isdigit takes it
        (check_cpf, "123.456.789-09"),
        (check_cnpj, "1234567800019"),
        (check_cpf_or_cnpj, "123456789012"),
        (check_iban, "XX89370400440532013000"),
        (check_iban, "DE8937040044053201300"),
    ],
)
def test_wrong_shapes_are_format_errors(check: object, value: str) -> None:
    with pytest.raises(FormatError):
        check(value)  # type: ignore[operator]


def test_iban_is_normalised_and_its_country_checked() -> None:
    assert check_iban("de89 3704 0044 0532 0130 00") == "DE89370400440532013000"
    with pytest.raises(FormatError):
        check_iban("DE89370400440532013000", country="FR")


def test_clabe_with_unassigned_bank_code_is_a_check_digit_error() -> None:
    # The seed's placeholder 123456789012345678: right shape, no bank 123.
    with pytest.raises(CheckDigitError):
        check_clabe("123456789012345678")


# --- wallets --------------------------------------------------------------------------------------


def test_evm_addresses() -> None:
    address = eip55("0x" + "5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")
    assert address == "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    assert check_evm_address(address) == address
    assert check_evm_address(address.lower()) == address.lower()
    assert check_evm_address("0x" + address[2:].upper()) == "0x" + address[2:].upper()
    with pytest.raises(CheckDigitError):
        check_evm_address(address[:3] + address[3].swapcase() + address[4:])
    for bad in (
        "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe",
        "0xZZ" + "0" * 38,
        # A regex $ also matches before a final newline: the whole text must be the address.
        address.lower() + "\n",
    ):
        with pytest.raises(FormatError):
            check_evm_address(bad)


def test_a_bic_is_the_whole_text() -> None:
    assert check_bic("COBADEFFXXX") == "COBADEFFXXX"
    for bad in ("COBADEFF\n", "COBADEFFXXX\n", "COBADEF"):
        with pytest.raises(FormatError):
            check_bic(bad)


def test_solana_and_tron_addresses() -> None:
    key = base58.b58encode(NODE_KEY.public_key.format()[1:]).decode()
    assert check_solana_address(key) == key
    with pytest.raises(FormatError):
        check_solana_address(base58.b58encode(bytes(31)).decode())
    with pytest.raises(FormatError):
        check_solana_address("0OIl" + key[4:])
    assert check_tron_address(TRON_USDT) == TRON_USDT
    with pytest.raises(CheckDigitError):
        check_tron_address(TRON_USDT[:-1] + ("u" if TRON_USDT[-1] != "u" else "v"))
    bitcoin = base58.b58encode_check(bytes(21)).decode()
    with pytest.raises(FormatError):
        check_tron_address(bitcoin)


@pytest.mark.parametrize(
    ("prefix", "network"),
    [("spark", "MAINNET"), ("sparkt", "TESTNET"), ("sparkrt", "REGTEST"), ("sparks", "SIGNET"), ("sparkl", "LOCAL")],
)
def test_spark_address_names_its_network(prefix: str, network: str) -> None:
    address = make_spark_address(prefix)
    assert check_spark_address(address) == (address, network)
    assert check_spark_address(address.upper()) == (address, network)


def test_spark_address_failures() -> None:
    address = make_spark_address()
    flipped = address[:-1] + ("q" if address[-1] != "q" else "p")
    with pytest.raises(CheckDigitError):
        check_spark_address(flipped)
    # A bech32 (not bech32m) checksum is a checksum failure too.
    words = [CHARSET.find(char) for char in address[6:-6]]
    bech32_checksum = "".join(CHARSET[w] for w in bech32_create_checksum("spark", words))
    with pytest.raises(CheckDigitError):
        check_spark_address(address[:-6] + bech32_checksum)
    unknown = make_spark_address("sprk")
    bitcoin = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
    not_a_key = make_spark_address(payload=bytes([0x0A, 0x21]) + bytes(33))
    wrong_field = make_spark_address(payload=bytes([0x12, 0x21]) + NODE_KEY.public_key.format())
    for bad in (
        unknown,
        bitcoin,
        not_a_key,
        wrong_field,
        "spark1",
        "spark1" + "b" * 60,
        address[:10] + address[10:].upper(),
    ):
        with pytest.raises(FormatError):
            check_spark_address(bad)


def test_bech32_split_and_decode() -> None:
    hrp, data = split_bech32("A12UEL5L")
    assert (hrp, data) == ("a", [CHARSET.find(c) for c in "2uel5l"])
    assert decode_bech32("A12UEL5L") == ("a", [])
    with pytest.raises(CheckDigitError):
        decode_bech32("A12UEL5M")
    for bad in ("pzry9x0s0muk", "1pzry9x0s0muk", "x1b4n0q5v", "li1dgmt3", "a b1qqqqqq"):
        with pytest.raises(FormatError):
            split_bech32(bad)


# --- Lightning -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("currency", "network"), [("bc", "MAINNET"), ("tb", "TESTNET"), ("bcrt", "REGTEST")])
def test_fresh_invoice_decodes_with_its_network(currency: str, network: str) -> None:
    invoice = make_invoice(currency)
    decoded = check_invoice(invoice)
    assert decoded.network == network
    assert decoded.expires_at > time.time()
    assert check_invoice(invoice.upper()).network == network


def test_expired_invoice_is_a_format_error() -> None:
    with pytest.raises(FormatError, match="expired"):
        check_invoice(make_invoice(issued=int(time.time()) - 7200, expiry=60))
    invoice = make_invoice(expiry=60)
    with pytest.raises(FormatError, match="expired"):
        check_invoice(invoice, now=time.time() + 61)


def test_invoice_checksum_and_signature_failures_are_check_digit_errors() -> None:
    invoice = make_invoice()
    flipped = invoice[:-1] + ("q" if invoice[-1] != "q" else "p")
    with pytest.raises(CheckDigitError):
        check_invoice(flipped)
    # Signed by one node but naming another in its n field.
    with pytest.raises(CheckDigitError, match="signature"):
        check_invoice(make_invoice(key=NODE_KEY, payee=OTHER_KEY))
    assert check_invoice(make_invoice(key=NODE_KEY, payee=NODE_KEY)).network == "MAINNET"


@pytest.mark.parametrize(
    "garbage",
    ["lnbc-garbage", "lnbc1", "lnbc 1qqqqqqq", "lnbc1" + "b" * 20 + "Q", "bitcoin:bc1qxyz", "", "ln" + "1" * 5],
)
def test_text_that_is_not_bech32_is_a_format_error(garbage: str) -> None:
    with pytest.raises(FormatError):
        check_invoice(garbage)


def test_bech32_text_that_is_not_an_invoice_is_a_format_error() -> None:
    # Valid checksum, but no signature / tagged fields inside.
    words = [0] * 10
    text = "lnbc1" + "".join(CHARSET[w] for w in words + bech32_create_checksum("lnbc", words))
    with pytest.raises(FormatError):
        check_invoice(text)
    unknown_network = "lnxy1" + "".join(CHARSET[w] for w in words + bech32_create_checksum("lnxy", words))
    with pytest.raises(FormatError):
        check_invoice(unknown_network)


def test_offers_and_lightning_addresses() -> None:
    assert check_offer(BOLT12_OFFER.upper()) == BOLT12_OFFER
    for bad in ("lnbc1qqqqqqqqqqqqqqqqqqqqq", "lno1short", "lno1" + "b" * 20 + "!"):
        with pytest.raises(FormatError):
            check_offer(bad)
    assert check_lightning_address("Alice.B+tips@Wallet.Example.com") == "alice.b+tips@wallet.example.com"
    for bad in ("alice", "alice@localhost", "al ice@example.com", "alice@exa_mple.com"):
        with pytest.raises(FormatError):
            check_lightning_address(bad)


def test_every_failure_is_an_identifier_error() -> None:
    assert issubclass(FormatError, IdentifierError) and issubclass(CheckDigitError, IdentifierError)
