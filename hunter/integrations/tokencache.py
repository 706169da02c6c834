"""The MSAL token cache on disk: mode 0600, written atomically, encrypted when a key is set.

MSAL keeps its refresh tokens in a ``SerializableTokenCache``; this file is what makes every run
after ``hunter partner-center login`` silent.  With ``HUNTER_SECRET_KEY`` the file is a Fernet
token (AES-128-CBC + HMAC-SHA256) under a key derived from the secret with HKDF-SHA256;
without it the file is MSAL's JSON, readable only by its owner.  Its content is never logged.
"""

from __future__ import annotations

import base64
import os
import tempfile
from pathlib import Path

import msal
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..errors import AuthFailed

MAGIC = b"hunter-token-cache-fernet-v1\n"


class TokenCacheFile:
    """Loads into and saves from one ``msal.SerializableTokenCache``."""

    def __init__(self, path: Path, *, secret_key: str | None, system: str,
                 login_hint: str = "sign in again") -> None:
        self.path, self.system, self.login_hint = path, system, login_hint
        self._fernet = Fernet(_derive(secret_key)) if secret_key else None
        self.cache = msal.SerializableTokenCache()

    def present(self) -> bool:
        return self.path.is_file()

    def load(self) -> msal.SerializableTokenCache:
        if not self.path.is_file():
            return self.cache
        data = self.path.read_bytes()
        encrypted = data.startswith(MAGIC)
        if encrypted:
            data = self._decrypt(data[len(MAGIC):])
        try:
            self.cache.deserialize(data.decode("utf-8") or None)
        except ValueError:
            raise AuthFailed(self.system, f"the token cache {self.path} is damaged: delete it and sign in again "
                                          f"({self.login_hint})") from None
        if self._fernet is not None and not encrypted:
            self.cache.has_state_changed = True     # written before the key was set: encrypt it on save
        return self.cache

    def save(self) -> None:
        """Write the cache when MSAL changed it (new or refreshed tokens, a removed account)."""
        if not self.cache.has_state_changed:
            return
        data = self.cache.serialize().encode("utf-8")
        if self._fernet is not None:
            data = MAGIC + self._fernet.encrypt(data)
        _write_private(self.path, data)
        self.cache.has_state_changed = False

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)

    def _decrypt(self, token: bytes) -> bytes:
        if self._fernet is None:
            raise AuthFailed(self.system, f"the token cache {self.path} is encrypted and HUNTER_SECRET_KEY is not set")
        try:
            return self._fernet.decrypt(token)
        except InvalidToken:
            raise AuthFailed(self.system, f"the token cache {self.path} was encrypted with another "
                                          "HUNTER_SECRET_KEY: set the old key, or delete the file and sign in again") from None


def _derive(secret: str) -> bytes:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"hunter token cache",
               info=b"fernet key v1").derive(secret.encode("utf-8"))
    return base64.urlsafe_b64encode(key)


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
