"""RS256 JSON Web Tokens, by hand with ``cryptography`` (RFC 7515/7519, compact form).

Enough for the sandbox Entra ID: sign a claims dict with a key made at start-up, check a
token's signature, publish the key as a JWKS like ``/discovery/v2.0/keys``.  Times and
audiences are judged by the caller.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

__all__ = ["Signer", "b64url", "b64url_decode"]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _json_part(data: dict[str, Any]) -> str:
    return b64url(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode())


def _uint(number: int) -> str:
    return b64url(number.to_bytes((number.bit_length() + 7) // 8, "big"))


class Signer:
    """An RSA 2048 key with a ``kid`` (the SHA-256 of its modulus, shortened)."""

    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        numbers = self._key.public_key().public_numbers()
        self.kid = b64url(hashlib.sha256(numbers.n.to_bytes(256, "big")).digest()[:20])
        self._jwk = {"kty": "RSA", "use": "sig", "kid": self.kid, "n": _uint(numbers.n), "e": _uint(numbers.e)}

    def sign(self, claims: dict[str, Any]) -> str:
        signing_input = f"{_json_part({'typ': 'JWT', 'alg': 'RS256', 'kid': self.kid})}.{_json_part(claims)}"
        signature = self._key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{b64url(signature)}"

    def verify(self, token: str) -> dict[str, Any] | None:
        """The claims of a token this key signed with RS256, or ``None``."""
        try:
            header_part, claims_part, signature_part = token.split(".")
            header = json.loads(b64url_decode(header_part))
            if header.get("alg") != "RS256" or header.get("kid") != self.kid:
                return None
            self._key.public_key().verify(b64url_decode(signature_part),
                                          f"{header_part}.{claims_part}".encode("ascii"),
                                          padding.PKCS1v15(), hashes.SHA256())
            claims = json.loads(b64url_decode(claims_part))
        except (ValueError, InvalidSignature, UnicodeError):
            return None
        return claims if isinstance(claims, dict) else None

    def jwks(self) -> dict[str, Any]:
        return {"keys": [dict(self._jwk)]}
