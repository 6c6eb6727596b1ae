"""Signatures with a key kept outside both stores (Ed25519): whoever holds the public key checks them."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from domain.chain import canonical


def new_private_key_pem() -> bytes:
    """A fresh Ed25519 private key, as PKCS#8 PEM (what PATHWAYS_SIGNING_KEY_FILE holds)."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short name of a public key: the first 16 hex digits of the SHA-256 of its raw bytes."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


class Signer:
    """Signs payloads (canonical JSON) with the deployment's private key."""

    def __init__(self, private_key: Ed25519PrivateKey):
        self._key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id(self.public_key)

    @classmethod
    def from_file(cls, path: Path) -> Signer:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} holds no Ed25519 private key")
        return cls(key)

    def public_pem(self) -> str:
        return self.public_key.public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def sign(self, payload: dict[str, Any]) -> str:
        """The signature of the payload's canonical JSON, base64."""
        return base64.b64encode(self._key.sign(canonical(payload))).decode()


def signed_by(public_key: Ed25519PublicKey, payload: dict[str, Any], signature: str) -> bool:
    """Whether `signature` is the key's signature of the payload's canonical JSON."""
    try:
        public_key.verify(base64.b64decode(signature), canonical(payload))
    except (InvalidSignature, ValueError):
        return False
    return True
