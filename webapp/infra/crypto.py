"""Encryption of channel credentials at rest (Fernet; several keys allow rotation)."""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class CredentialsError(RuntimeError):
    """Stored credentials could not be decrypted with any configured key."""


def _keys_from_config(raw: str, secret_key: str) -> list[Fernet]:
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    if not keys:
        # Without an explicit key, derive one from SECRET_KEY so a first run works; the README
        # tells operators to set CREDENTIALS_KEY so rotating SECRET_KEY doesn't orphan secrets.
        derived = base64.urlsafe_b64encode(hashlib.sha256(b"herald-credentials:" + secret_key.encode()).digest())
        keys = [derived.decode()]
    return [Fernet(k.encode()) for k in keys]


def _fernet() -> MultiFernet:
    cfg = current_app.config
    return MultiFernet(_keys_from_config(cfg["CREDENTIALS_KEYS"], cfg["SECRET_KEY"]))


def encrypt_credentials(credentials: dict) -> str:
    """Encrypt a credentials mapping with the newest key."""
    return _fernet().encrypt(json.dumps(credentials, sort_keys=True).encode()).decode()


def decrypt_credentials(token: str) -> dict:
    """Decrypt a credentials token with whichever configured key made it."""
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken:
        raise CredentialsError("channel credentials cannot be decrypted with the configured keys") from None


def rotate_credentials(token: str) -> str:
    """Re-encrypt a token under the newest key (for key rotation)."""
    return _fernet().rotate(token.encode()).decode()
