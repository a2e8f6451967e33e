"""Secrets at rest (AES-256-GCM under rotating master keys) and P-256 webhook signatures."""

from __future__ import annotations

import base64
import binascii
import functools
import os
import re
from collections.abc import Iterable

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
ENVELOPE_VERSION = "v1"

_KID = re.compile(r"[A-Za-z0-9_-]{1,32}")


class SecretDecryptionError(Exception):
    """An envelope that cannot be opened: unknown kid, malformed, tampered or bound to other data."""


class MasterKeys:
    """An ordered set of AES-256-GCM master keys: the first encrypts, every one decrypts."""

    def __init__(self, keys: Iterable[tuple[str, bytes]]) -> None:
        self._raw: dict[str, bytes] = {}
        for kid, key in keys:
            # Messages name the kid at most: a key never reaches a log line.
            if not _KID.fullmatch(kid):
                raise ValueError("master key ids must be 1-32 characters of A-Z, a-z, 0-9, '_' or '-'")
            if kid in self._raw:
                raise ValueError(f"master key id {kid!r} appears more than once")
            if len(key) != KEY_BYTES:
                raise ValueError(f"master key {kid!r} must be {KEY_BYTES} bytes, got {len(key)}")
            self._raw[kid] = bytes(key)
        if not self._raw:
            raise ValueError("at least one master key is required")
        self._active = next(iter(self._raw))
        self._ciphers = {kid: AESGCM(key) for kid, key in self._raw.items()}

    @classmethod
    def parse(cls, text: str) -> MasterKeys:
        """Keys from `kid1:<base64 of 32 bytes>,kid2:<base64>`, the first one active."""
        if not text.strip():
            raise ValueError("master keys are empty: expected kid:<base64 of 32 bytes>[,kid:<base64>...]")
        entries: list[tuple[str, bytes]] = []
        for position, item in enumerate(text.split(","), start=1):
            kid, sep, encoded = item.strip().partition(":")
            # Only the position is named: a malformed item may well be a bare key.
            if not sep or not _KID.fullmatch(kid) or not encoded:
                raise ValueError(f"master key item {position} is malformed: expected kid:<base64 of 32 bytes>")
            try:
                key = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise ValueError(f"master key {kid!r} is not valid base64") from None
            entries.append((kid, key))
        return cls(entries)

    @classmethod
    def generate(cls, kid: str = "key1") -> MasterKeys:
        """A single fresh random key under `kid`."""
        key: bytes = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
        return cls([(kid, key)])

    def to_text(self) -> str:
        """The keys in the format `parse` reads (this is key material: store it like a password)."""
        return ",".join(f"{kid}:{base64.b64encode(key).decode('ascii')}" for kid, key in self._raw.items())

    @property
    def active_kid(self) -> str:
        """The id of the key new envelopes are encrypted under."""
        return self._active

    def encrypt(self, plaintext: bytes, associated_data: bytes) -> str:
        """Envelope `v1:<kid>:<nonce>:<ciphertext+tag>` under the active key, bound to `associated_data`."""
        nonce = os.urandom(NONCE_BYTES)
        sealed: bytes = self._ciphers[self._active].encrypt(nonce, plaintext, associated_data)
        return f"{ENVELOPE_VERSION}:{self._active}:{_b64(nonce)}:{_b64(sealed)}"

    def decrypt(self, envelope: str, associated_data: bytes) -> bytes:
        """The plaintext of `envelope`, or SecretDecryptionError when it cannot be authenticated."""
        parts = envelope.split(":")
        if len(parts) != 4 or parts[0] != ENVELOPE_VERSION or not _KID.fullmatch(parts[1]):
            raise SecretDecryptionError("malformed secret envelope")
        kid = parts[1]
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise SecretDecryptionError(f"no master key with id {kid!r}")
        try:
            nonce = _unb64(parts[2])
            sealed = _unb64(parts[3])
        except ValueError:
            raise SecretDecryptionError("malformed secret envelope") from None
        if len(nonce) != NONCE_BYTES or len(sealed) < TAG_BYTES:
            raise SecretDecryptionError("malformed secret envelope")
        try:
            plaintext: bytes = cipher.decrypt(nonce, sealed, associated_data)
        except InvalidTag:
            raise SecretDecryptionError(
                f"secret under key {kid!r} failed authentication (tampered or bound to another record)"
            ) from None
        return plaintext

    def is_current(self, envelope: str) -> bool:
        """Whether `envelope` is already encrypted under the active key (rotation skips it)."""
        parts = envelope.split(":")
        return len(parts) == 4 and parts[0] == ENVELOPE_VERSION and parts[1] == self._active

    def __repr__(self) -> str:
        return f"MasterKeys(kids={list(self._raw)!r}, active={self._active!r})"


def generate_signing_key() -> tuple[bytes, str]:
    """A fresh P-256 key pair: (private key as PKCS8 DER, public key as SubjectPublicKeyInfo PEM)."""
    private_key = ec.generate_private_key(ec.SECP256R1())
    private_der: bytes = private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem: bytes = private_key.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo,
    )
    return private_der, public_pem.decode("ascii")


def sign(private_key_der: bytes, body: bytes) -> str:
    """Base64 of the DER ECDSA P-256/SHA-256 signature over exactly `body`."""
    signature: bytes = _load_signing_key(private_key_der).sign(body, ec.ECDSA(hashes.SHA256()))
    return base64.b64encode(signature).decode("ascii")


def verify(public_key_pem: str, body: bytes, signature_b64: str) -> bool:
    """Whether `signature_b64` is a valid `sign` signature over `body` for this public key."""
    public_key = serialization.load_pem_public_key(public_key_pem.encode("ascii"))
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or not isinstance(public_key.curve, ec.SECP256R1):
        raise ValueError("not a P-256 public key")
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        return False
    try:
        public_key.verify(signature, body, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


# Signing happens per webhook delivery; parsing the DER each time would dominate it.
@functools.lru_cache(maxsize=256)
def _load_signing_key(private_key_der: bytes) -> ec.EllipticCurvePrivateKey:
    private_key = serialization.load_der_private_key(private_key_der, password=None)
    if not isinstance(private_key, ec.EllipticCurvePrivateKey) or not isinstance(private_key.curve, ec.SECP256R1):
        raise ValueError("not a P-256 private key")
    return private_key


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    # Only the canonical spelling is accepted, so one ciphertext has exactly one envelope.
    if _b64(raw) != text:
        raise ValueError("non-canonical base64")
    return raw
