"""The persisted MSAL token cache: 0600, atomic, encrypted with HUNTER_SECRET_KEY, clear errors."""

from __future__ import annotations

import json
import stat

import pytest

from hunter.errors import AuthFailed
from hunter.integrations.tokencache import MAGIC, TokenCacheFile

STATE = {"AccessToken": {}, "RefreshToken": {"k": {"secret": "refresh-token-value", "credential_type": "RefreshToken",
                                                    "home_account_id": "a", "environment": "e", "client_id": "c"}},
         "IdToken": {}, "Account": {}, "AppMetadata": {}}


def filled(path, key=None) -> TokenCacheFile:
    store = TokenCacheFile(path, secret_key=key, system="partner_center")
    store.load().deserialize(json.dumps(STATE))
    store.cache.has_state_changed = True
    store.save()
    return store


def test_plain_cache_is_private_and_round_trips(tmp_path) -> None:
    path = tmp_path / "sub" / "pc.tokencache"
    filled(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = TokenCacheFile(path, secret_key=None, system="partner_center").load()
    assert "refresh-token-value" in again.serialize()
    assert not list(path.parent.glob(".pc.tokencache.*"))      # no temporary file left behind


def test_with_a_key_the_file_holds_no_token_text(tmp_path) -> None:
    path = tmp_path / "pc.tokencache"
    filled(path, key="k" * 40)
    data = path.read_bytes()
    assert data.startswith(MAGIC) and b"refresh-token-value" not in data
    assert "refresh-token-value" in TokenCacheFile(path, secret_key="k" * 40, system="pc").load().serialize()


def test_wrong_or_missing_key_says_what_to_do(tmp_path) -> None:
    path = tmp_path / "pc.tokencache"
    filled(path, key="first key")
    with pytest.raises(AuthFailed, match="another HUNTER_SECRET_KEY") as wrong:
        TokenCacheFile(path, secret_key="second key", system="pc").load()
    with pytest.raises(AuthFailed, match="encrypted and HUNTER_SECRET_KEY is not set"):
        TokenCacheFile(path, secret_key=None, system="pc").load()
    assert "first key" not in str(wrong.value)


def test_a_plain_cache_is_encrypted_once_a_key_is_set(tmp_path) -> None:
    path = tmp_path / "pc.tokencache"
    filled(path)
    store = TokenCacheFile(path, secret_key="new key", system="pc")
    store.load()
    store.save()
    assert path.read_bytes().startswith(MAGIC)


def test_unchanged_cache_is_not_rewritten(tmp_path) -> None:
    path = tmp_path / "pc.tokencache"
    store = TokenCacheFile(path, secret_key=None, system="pc")
    store.load()
    store.save()
    assert not path.exists()


def test_damaged_cache(tmp_path) -> None:
    path = tmp_path / "pc.tokencache"
    path.write_text("{not json")
    with pytest.raises(AuthFailed, match="damaged"):
        TokenCacheFile(path, secret_key=None, system="pc", login_hint="hunter partner-center login").load()
