"""Master-key envelopes and webhook signatures: pure unit tests, no database."""

from __future__ import annotations

import base64

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_der_private_key,
    load_pem_public_key,
)
from hypothesis import given
from hypothesis import strategies as st

from railbook.kit.crypto import (
    MasterKeys,
    SecretDecryptionError,
    generate_signing_key,
    sign,
    verify,
)

KEY_A = bytes(range(32))
KEY_B = bytes(range(100, 132))
B64_A = base64.b64encode(KEY_A).decode()
B64_B = base64.b64encode(KEY_B).decode()
RECORD = b"PlatformEnvironment:0190a6b2-0000-7000-8000-000000000001"


def b64u(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture
def keys() -> MasterKeys:
    return MasterKeys.parse(f"a:{B64_A}")


# Envelopes


def test_round_trip(keys: MasterKeys) -> None:
    envelope = keys.encrypt(b"s3cret", RECORD)
    assert envelope.isascii()
    assert keys.decrypt(envelope, RECORD) == b"s3cret"


def test_envelope_format(keys: MasterKeys) -> None:
    version, kid, nonce, sealed = keys.encrypt(b"abc", RECORD).split(":")
    assert (version, kid) == ("v1", "a")
    assert len(unb64u(nonce)) == 12
    assert len(unb64u(sealed)) == 3 + 16


def test_same_plaintext_encrypts_differently(keys: MasterKeys) -> None:
    envelopes = {keys.encrypt(b"same", RECORD) for _ in range(20)}
    assert len(envelopes) == 20
    nonces = {envelope.split(":")[2] for envelope in envelopes}
    assert len(nonces) == 20


def test_wrong_associated_data_fails(keys: MasterKeys) -> None:
    envelope = keys.encrypt(b"s3cret", RECORD)
    with pytest.raises(SecretDecryptionError) as caught:
        keys.decrypt(envelope, RECORD + b"x")
    assert "s3cret" not in str(caught.value)
    with pytest.raises(SecretDecryptionError):
        keys.decrypt(envelope, b"")


def test_flipping_any_byte_of_nonce_or_ciphertext_fails(keys: MasterKeys) -> None:
    envelope = keys.encrypt(b"a secret worth protecting", RECORD)
    version, kid, nonce_text, sealed_text = envelope.split(":")
    nonce, sealed = unb64u(nonce_text), unb64u(sealed_text)
    for index in range(len(sealed)):
        for mask in (0x01, 0x80):
            tampered = bytearray(sealed)
            tampered[index] ^= mask
            with pytest.raises(SecretDecryptionError):
                keys.decrypt(f"{version}:{kid}:{nonce_text}:{b64u(bytes(tampered))}", RECORD)
    for index in range(len(nonce)):
        tampered = bytearray(nonce)
        tampered[index] ^= 0x01
        with pytest.raises(SecretDecryptionError):
            keys.decrypt(f"{version}:{kid}:{b64u(bytes(tampered))}:{sealed_text}", RECORD)


def test_truncated_ciphertext_fails(keys: MasterKeys) -> None:
    version, kid, nonce_text, sealed_text = keys.encrypt(b"abcdef", RECORD).split(":")
    sealed = unb64u(sealed_text)
    for length in range(len(sealed)):
        with pytest.raises(SecretDecryptionError):
            keys.decrypt(f"{version}:{kid}:{nonce_text}:{b64u(sealed[:length])}", RECORD)


def test_unknown_kid_fails(keys: MasterKeys) -> None:
    envelope = MasterKeys.parse(f"other:{B64_A}").encrypt(b"x", RECORD)
    with pytest.raises(SecretDecryptionError, match="other"):
        keys.decrypt(envelope, RECORD)


def test_same_kid_different_key_fails(keys: MasterKeys) -> None:
    envelope = MasterKeys.parse(f"a:{B64_B}").encrypt(b"x", RECORD)
    with pytest.raises(SecretDecryptionError):
        keys.decrypt(envelope, RECORD)


@pytest.mark.parametrize(
    "envelope",
    [
        "",
        "v1",
        "v1:a",
        "v1:a:AAAAAAAAAAAAAAAA",
        "v2:a:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA",
        "v1:a:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA:extra",
        "v1:bad kid:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA",
        "v1:a:AAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA",  # 9-byte nonce
        "v1:a:AAAAAAAAAAAAAAAA:AAAA",  # shorter than a tag
        "v1:a:AAAAAAAAAAAAAAA!:AAAAAAAAAAAAAAAAAAAAAA",
        "v1:a:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA==",
        "v1:a:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAA",  # impossible base64 length
        "v1:a:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAA+/",
        "v1:a:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAé",
    ],
)
def test_malformed_envelope_fails(keys: MasterKeys, envelope: str) -> None:
    with pytest.raises(SecretDecryptionError):
        keys.decrypt(envelope, RECORD)


def test_non_canonical_base64_is_rejected(keys: MasterKeys) -> None:
    version, kid, nonce_text, sealed_text = keys.encrypt(b"abcd", RECORD).split(":")
    # 20 bytes encode to 27 characters whose last one carries two unused bits.
    assert len(sealed_text) == 27
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(sealed_text[-1])
    sloppy = sealed_text[:-1] + alphabet[last | 0b01]
    if sloppy == sealed_text:
        sloppy = sealed_text[:-1] + alphabet[last & ~0b01]
    assert unb64u(sloppy) == unb64u(sealed_text)
    with pytest.raises(SecretDecryptionError):
        keys.decrypt(f"{version}:{kid}:{nonce_text}:{sloppy}", RECORD)


def test_older_key_still_decrypts_while_first_key_encrypts() -> None:
    before = MasterKeys.parse(f"old:{B64_A}")
    envelope = before.encrypt(b"secret", RECORD)
    rotated = MasterKeys.parse(f"new:{B64_B},old:{B64_A}")
    assert rotated.active_kid == "new"
    assert rotated.decrypt(envelope, RECORD) == b"secret"
    fresh = rotated.encrypt(b"secret", RECORD)
    assert fresh.startswith("v1:new:")
    assert rotated.decrypt(fresh, RECORD) == b"secret"
    with pytest.raises(SecretDecryptionError):
        before.decrypt(fresh, RECORD)


def test_is_current() -> None:
    before = MasterKeys.parse(f"old:{B64_A}")
    rotated = MasterKeys.parse(f"new:{B64_B},old:{B64_A}")
    old_envelope = before.encrypt(b"x", RECORD)
    new_envelope = rotated.encrypt(b"x", RECORD)
    assert before.is_current(old_envelope)
    assert not rotated.is_current(old_envelope)
    assert rotated.is_current(new_envelope)
    assert not before.is_current(new_envelope)
    assert not rotated.is_current("garbage")
    assert not rotated.is_current("")


@given(plaintext=st.binary(max_size=4096), associated_data=st.binary(max_size=256))
def test_any_plaintext_and_associated_data_round_trip(plaintext: bytes, associated_data: bytes) -> None:
    keys = MasterKeys.parse(f"a:{B64_A}")
    envelope = keys.encrypt(plaintext, associated_data)
    assert keys.decrypt(envelope, associated_data) == plaintext


# Parsing and rendering master keys


def test_parse_tolerates_whitespace_and_keeps_order() -> None:
    keys = MasterKeys.parse(f"  first:{B64_A} ,\n second:{B64_B}\n")
    assert keys.active_kid == "first"
    assert keys.to_text() == f"first:{B64_A},second:{B64_B}"
    assert MasterKeys.parse(keys.to_text()).to_text() == keys.to_text()


def test_parse_accepts_longest_kid() -> None:
    kid = "K-_9" * 8
    assert MasterKeys.parse(f"{kid}:{B64_A}").active_kid == kid


def test_generate_round_trips_through_text() -> None:
    keys = MasterKeys.generate("sandbox1")
    assert keys.active_kid == "sandbox1"
    kid, _, encoded = keys.to_text().partition(":")
    assert kid == "sandbox1"
    assert len(base64.b64decode(encoded, validate=True)) == 32
    envelope = keys.encrypt(b"x", RECORD)
    assert MasterKeys.parse(keys.to_text()).decrypt(envelope, RECORD) == b"x"
    assert MasterKeys.generate("sandbox1").to_text() != keys.to_text()


def test_generate_has_a_default_kid() -> None:
    keys = MasterKeys.generate()
    assert MasterKeys.parse(keys.to_text()).active_kid == keys.active_kid


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("  \n ", "empty"),
        (B64_A, "malformed"),
        (f":{B64_A}", "malformed"),
        ("a:", "malformed"),
        (f"bad kid:{B64_A}", "malformed"),
        (f"{'k' * 33}:{B64_A}", "malformed"),
        (f"a:{B64_A},", "malformed"),
        (f"a:{B64_A},,b:{B64_B}", "malformed"),
        ("a:not*base64", "base64"),
        (f"a:{B64_A[:-1]}", "base64"),
        (f"a:{B64_A},a:{B64_B}", "more than once"),
        (f"a:{base64.b64encode(KEY_A[:31]).decode()}", "32 bytes"),
        (f"a:{base64.b64encode(KEY_A + b'!').decode()}", "32 bytes"),
    ],
)
def test_parse_errors_are_clear_and_never_show_the_key(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        MasterKeys.parse(text)
    shown = str(caught.value)
    for secret in (B64_A, B64_A[:12], B64_B[:12], "not*base64"):
        assert secret not in shown


def test_repr_hides_keys() -> None:
    keys = MasterKeys.parse(f"new:{B64_B},old:{B64_A}")
    shown = repr(keys)
    assert "new" in shown
    assert "old" in shown
    for key in (KEY_A, KEY_B):
        for rendering in (base64.b64encode(key).decode(), key.hex(), repr(key)[2:14]):
            assert rendering not in shown
    assert str(keys) == shown


# Webhook signatures


def test_generated_signing_key_is_p256_pkcs8_and_spki_pem() -> None:
    private_der, public_pem = generate_signing_key()
    private_key = load_der_private_key(private_der, password=None)
    assert isinstance(private_key, ec.EllipticCurvePrivateKey)
    assert isinstance(private_key.curve, ec.SECP256R1)
    assert public_pem.startswith("-----BEGIN PUBLIC KEY-----")
    public_key = load_pem_public_key(public_pem.encode())
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    assert public_key.public_numbers() == private_key.public_key().public_numbers()
    assert generate_signing_key()[0] != private_der


def test_receiver_verifies_signature_with_plain_cryptography() -> None:
    private_der, public_pem = generate_signing_key()
    body = b'{"type":"CUSTOMER.KYC_APPROVED","data":{"id":"Customer:1"}}'
    header = sign(private_der, body)
    # What a webhook receiver does with the X-Grid-Signature header and the public key it was given.
    public_key = load_pem_public_key(public_pem.encode())
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(base64.b64decode(header), body, ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        public_key.verify(base64.b64decode(header), body + b" ", ec.ECDSA(hashes.SHA256()))
    assert verify(public_pem, body, header)


def test_signatures_are_randomised_but_all_verify() -> None:
    private_der, public_pem = generate_signing_key()
    signatures = {sign(private_der, b"body") for _ in range(5)}
    assert len(signatures) == 5
    assert all(verify(public_pem, b"body", signature) for signature in signatures)


def test_signature_over_modified_body_fails() -> None:
    private_der, public_pem = generate_signing_key()
    body = b'{"amount":100}'
    signature = sign(private_der, body)
    assert not verify(public_pem, b'{"amount":900}', signature)
    assert not verify(public_pem, body + b"\n", signature)
    assert not verify(public_pem, b"", signature)


def test_signature_from_another_key_fails() -> None:
    private_der, _ = generate_signing_key()
    _, other_public_pem = generate_signing_key()
    assert not verify(other_public_pem, b"body", sign(private_der, b"body"))


def test_verify_returns_false_for_garbage() -> None:
    private_der, public_pem = generate_signing_key()
    good = sign(private_der, b"body")
    raw = base64.b64decode(good)
    flipped = bytearray(raw)
    flipped[-1] ^= 0x01
    for signature in (
        "",
        "not base64 at all!",
        "====",
        "é",
        base64.b64encode(b"\x00" * 70).decode(),
        base64.b64encode(raw[:-1]).decode(),
        base64.b64encode(bytes(flipped)).decode(),
        good + "AAAA",
        good[:-4],
    ):
        assert verify(public_pem, b"body", signature) is False


def test_verify_rejects_a_key_that_is_not_p256() -> None:
    public_key = ec.generate_private_key(ec.SECP384R1()).public_key()
    public_pem = public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    with pytest.raises(ValueError, match="P-256"):
        verify(public_pem, b"body", "AAAA")


def test_sign_rejects_a_key_that_is_not_p256_der() -> None:
    with pytest.raises(ValueError):
        sign(b"not a key", b"body")
