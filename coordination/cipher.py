"""Encryption of the columns of our own tables that hold case text (read models, audit details).

The ledger's events are encrypted by the library's cipher (`ledger_env`); the tables we write ourselves use
this one, keyed by the same PATHWAYS_CIPHER_KEY: AES-GCM with a random 96-bit nonce per value, a subkey per
purpose (HKDF), and the value's table and column as associated data, so that a ciphertext copied into another
column does not decrypt. A stored value is `v1:` + base64url(nonce + ciphertext + tag): text on both stores,
and told apart from clear text written before the deployment had a key, which reads back as it is.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

READ_MODELS = b"pathways read models"
AUDIT = b"pathways audit"
PREFIX = "v1:"
_NONCE_BYTES = 12
# The shortest value this cipher writes: a nonce, one byte of text and a 16-byte tag, in unpadded base64url.
_CIPHERTEXT = re.compile(r"^v1:[A-Za-z0-9_-]{39,}$")
CLEAR_DETAIL = "PATHWAYS_CIPHER_KEY is not set: case text is stored in clear"


class UndecryptableValue(ValueError):
    """A stored value is encrypted but does not decrypt here: another column's, damaged, or another key's."""


def is_ciphertext(value: str) -> bool:
    return bool(_CIPHERTEXT.match(value))


class FieldCipher:
    """Encrypts and decrypts one value of one column; without a key it stores clear text, as before."""

    def __init__(self, key: str | None, purpose: bytes):
        self._aead = AESGCM(_subkey(key, purpose)) if key else None

    @property
    def enabled(self) -> bool:
        return self._aead is not None

    def encrypt(self, value: str, column: str) -> str:
        """The stored form of `value` in `column` (e.g. "case_list.title"); "" stays "" (its length shows anyway)."""
        if self._aead is None or value == "":
            return value
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, value.encode(), column.encode())
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")

    def decrypt(self, value: str, column: str) -> str:
        """The text stored in `column`; a value written in clear (before the key existed) is returned as it is."""
        if not is_ciphertext(value):
            return value
        if self._aead is None:
            raise UndecryptableValue(f"{column} holds an encrypted value and PATHWAYS_CIPHER_KEY is not set")
        body = value[len(PREFIX):]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            return self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], column.encode()).decode()
        except (InvalidTag, binascii.Error, ValueError):
            raise UndecryptableValue(
                f"a value in {column} does not decrypt: it was written to another column, damaged, "
                "or encrypted with another PATHWAYS_CIPHER_KEY"
            ) from None


def _subkey(key: str, purpose: bytes) -> bytes:
    # One key in the configuration, independent keys per use: a read model's ciphertext is no audit record's.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(base64.b64decode(key))


def at_rest(cipher_key: str | None) -> dict[str, Any]:
    """The readiness check of encryption at rest: whether case text is encrypted in every store."""
    return {"ok": True} if cipher_key else {"ok": False, "detail": CLEAR_DETAIL}
