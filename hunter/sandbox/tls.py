"""A throw-away certificate authority for the sandbox HTTPS servers.

``ThrowawayCA.create(directory)`` leaves four PEM files there: ``ca.pem`` (the CA certificate a
client trusts, e.g. ``HUNTER_CA_BUNDLE``), ``ca.key``, ``server.pem`` and ``server.key`` (a
server certificate for ``127.0.0.1``, ``::1`` and ``localhost`` signed by the CA).  Keys are
EC P-256 and written with mode 0600.  The certificates are short-lived (30 days) and carry
the extensions that OpenSSL's strict verification (Python 3.13's ``VERIFY_X509_STRICT``)
asks for: basic constraints, key usage, subject and authority key identifiers.

A valid CA already in the directory is reused, so a restarted demo keeps the CA file its
clients were told to trust; the server certificate is re-issued by it when missing, expiring
or not signed by it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["ThrowawayCA"]

VALIDITY = dt.timedelta(days=30)
_MARGIN = dt.timedelta(days=1)       # re-issue what expires sooner than this
_SKEW = dt.timedelta(minutes=5)      # not-before slightly in the past, for clocks a bit behind
_NAMES = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True, slots=True)
class ThrowawayCA:
    """The CA and server certificate files in ``directory``."""

    directory: Path

    @property
    def ca_file(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def ca_key_file(self) -> Path:
        return self.directory / "ca.key"

    @property
    def cert_file(self) -> Path:
        return self.directory / "server.pem"

    @property
    def key_file(self) -> Path:
        return self.directory / "server.key"

    @classmethod
    def create(cls, directory: Path | str) -> ThrowawayCA:
        """Reuse the valid CA in ``directory`` or make a new one; make sure a server cert exists."""
        ca = cls(Path(directory))
        ca.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        loaded = _load_pair(ca.ca_file, ca.ca_key_file)
        if loaded is None:
            loaded = _issue_ca()
            _write(ca.ca_file, ca.ca_key_file, *loaded)
        server = _load_pair(ca.cert_file, ca.key_file)
        if server is None or not _signed_by(server[0], loaded[0]):
            _write(ca.cert_file, ca.key_file, *_issue_server(*loaded))
        return ca

    def server_context(self) -> ssl.SSLContext:
        """A TLS 1.2+ server context presenting the server certificate."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert_file, self.key_file)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context trusting this CA only (for httpx ``verify=``)."""
        return ssl.create_default_context(cafile=str(self.ca_file))


Pair = tuple[x509.Certificate, ec.EllipticCurvePrivateKey]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _load_pair(cert_file: Path, key_file: Path) -> Pair | None:
    """The certificate and key in these files, or ``None`` if missing, unreadable or expiring."""
    try:
        cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
        key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    except (OSError, ValueError):
        return None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.public_key() != cert.public_key():
        return None
    if not cert.not_valid_before_utc <= _now() < cert.not_valid_after_utc - _MARGIN:
        return None
    return cert, key


def _signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _builder(subject: str, issuer: x509.Name | None, public_key: ec.EllipticCurvePublicKey) -> x509.CertificateBuilder:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    return (x509.CertificateBuilder()
            .subject_name(name).issuer_name(issuer or name).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(_now() - _SKEW).not_valid_after(_now() + VALIDITY)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False))


def _issue_ca() -> Pair:
    key = ec.generate_private_key(ec.SECP256R1())
    usage = x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          encipher_only=False, decipher_only=False)
    cert = (_builder("Hunter sandbox throw-away CA", None, key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(usage, critical=True)
            .sign(key, hashes.SHA256()))
    return cert, key


def _issue_server(ca_cert: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey) -> Pair:
    key = ec.generate_private_key(ec.SECP256R1())
    usage = x509.KeyUsage(digital_signature=True, key_cert_sign=False, crl_sign=False, content_commitment=False,
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          encipher_only=False, decipher_only=False)
    names = [x509.IPAddress(ipaddress.ip_address(n)) if n[0].isdigit() or ":" in n else x509.DNSName(n)
             for n in _NAMES]
    ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (_builder("localhost", ca_cert.subject, key.public_key())
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return cert, key


def _write(cert_file: Path, key_file: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
    """Write the key (mode 0600 from the start, never world-readable) and the certificate."""
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    key_file.unlink(missing_ok=True)
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
