"""Signing credentials for C2PA: the operator's PEM files, or a development CA made on demand.

c2pa-rs refuses a leaf certificate only when it first signs, with messages such as "the
certificate is invalid" that do not say why.  ``load`` checks the same rules up front (measured
against c2pa-python 0.38.1 / c2pa-rs 0.91.3) so a misconfigured server refuses to start with a
message that names the problem.  ``development`` makes a private root CA and a signer it issues,
so provenance works out of the box; verifiers trust it only if they are given ``root.pem``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import itertools
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEV_ROOT_NAME = "Reelway development root CA"
DEV_SIGNER_NAME = "Reelway development signer"
DEV_ORGANIZATION = "Reelway (development)"
# EKUs c2pa-rs 0.91's default trust configuration accepts on a signer; documentSigning and the
# C2PA claimSigning OID alone fail its verify-after-sign ("certificate missing required EKU").
ALLOWED_EKUS = {
    ExtendedKeyUsageOID.EMAIL_PROTECTION: "emailProtection",
    ExtendedKeyUsageOID.TIME_STAMPING: "timeStamping",
    ExtendedKeyUsageOID.OCSP_SIGNING: "OCSPSigning",
}
_RENEW_BEFORE = dt.timedelta(days=30)
_KEY_BLOCK = re.compile(
    rb"-----BEGIN ([A-Z ]*)PRIVATE KEY-----.+?-----END \1PRIVATE KEY-----", re.S
)

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
_E = TypeVar("_E", bound=x509.ExtensionType)


class CertificateError(ValueError):
    """The signing certificate or key cannot be used for C2PA; the message says why."""


@dataclass(frozen=True)
class Credentials:
    """A signer's chain (leaf first) and PKCS#8 key, ready for ``c2pa.C2paSignerInfo``."""

    chain_pem: bytes
    key_pem: bytes
    algorithm: str
    """es256, es384, es512, ps256 or ed25519: follows from the key type."""
    development: bool
    root_pem: bytes | None
    """The self-signed root that verifiers should trust, when the chain includes it."""


def resolve(cert: Path | None, key: Path | None, data_dir: Path) -> Credentials:
    """The operator's files when configured (``REELWAY_C2PA_CERT``/``_KEY``), else the
    development CA under ``data_dir/c2pa``; the server and the CLI both pick this way."""
    if cert is None and key is None:
        return development(data_dir / "c2pa")
    if cert is None or key is None:
        raise CertificateError("set both REELWAY_C2PA_CERT and REELWAY_C2PA_KEY, or neither")
    return load(cert, key)


def load(cert: Path, key: Path) -> Credentials:
    """Operator-supplied PEM files: the chain (signer first) and its private key."""
    chain = _read_chain(cert)
    private = _read_key(key)
    leaf = chain[0]
    algorithm = _algorithm(private, key)
    public = _public_der(private.public_key())
    if public != _public_der(leaf.public_key()):
        matches = [i for i, c in enumerate(chain, 1) if _public_der(c.public_key()) == public]
        if matches:
            raise CertificateError(
                f"{cert}: the key's certificate is number {matches[0]} in the file; "
                "list the signer first, then each issuer in turn"
            )
        raise CertificateError(f"the private key in {key} does not match the certificate in {cert}")
    check_signer(leaf, where=str(cert))
    _check_chain(chain, cert)
    last = chain[-1]
    root = _pem(last) if len(chain) > 1 and _self_issued(last) else None
    return Credentials(b"".join(_pem(c) for c in chain), _pkcs8(private), algorithm, False, root)


def check_signer(leaf: x509.Certificate, *, where: str) -> None:
    """The rules c2pa-rs applies to a signing certificate, each with its own message."""
    subject, now = leaf.subject.rfc4514_string(), dt.datetime.now(dt.UTC)
    constraints = _extension(leaf, x509.BasicConstraints)
    usage = _extension(leaf, x509.KeyUsage)
    eku = _extension(leaf, x509.ExtendedKeyUsage)
    ekus = set(eku) if eku is not None else set()
    found = ", ".join(sorted(o.dotted_string for o in ekus)) or "none"
    problems = [
        (leaf.not_valid_after_utc <= now, f"expired on {leaf.not_valid_after_utc}"),
        (leaf.not_valid_before_utc > now, f"is not valid before {leaf.not_valid_before_utc}"),
        (
            constraints is not None and constraints.ca,
            "is a CA (basicConstraints CA=true); C2PA needs an end-entity certificate",
        ),
        (_self_issued(leaf), "is self-signed; C2PA needs one issued by a CA"),
        (
            _extension(leaf, x509.AuthorityKeyIdentifier) is None,
            "lacks an authorityKeyIdentifier extension",
        ),
        (usage is None or not usage.digital_signature, "lacks keyUsage digitalSignature"),
        (
            ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE in ekus,
            "must not have anyExtendedKeyUsage",
        ),
        (
            not ekus & set(ALLOWED_EKUS),
            f"needs an extendedKeyUsage of {', '.join(ALLOWED_EKUS.values())} (found: {found})",
        ),
    ]
    for failed, message in problems:
        if failed:
            raise CertificateError(f"{where}: the signing certificate {subject} {message}")


def development(directory: Path) -> Credentials:
    """The development CA under ``directory``, made on first use and reused after.

    An exclusive lock serialises processes that start together, so they all end with the
    same root; a signer that expires within 30 days is re-issued by the same root, which
    verifiers who already trust ``root.pem`` keep trusting.
    """
    directory.mkdir(parents=True, exist_ok=True)
    with _locked(directory / ".lock"):
        root_path, root_key_path = directory / "root.pem", directory / "root.key"
        signer_path, signer_key_path = directory / "signer.pem", directory / "signer.key"
        root = _load_dev_root(root_path, root_key_path)
        if root is None:
            new_key = ec.generate_private_key(ec.SECP256R1())
            root = (_issue(DEV_ROOT_NAME, new_key, None, new_key), new_key)
            _write(root_key_path, _pkcs8(new_key), 0o600)
            _write(root_path, _pem(root[0]), 0o644)
        if not _usable_dev_signer(signer_path, signer_key_path, root[0]):
            new_key = ec.generate_private_key(ec.SECP256R1())
            _write(signer_key_path, _pkcs8(new_key), 0o600)
            _write(signer_path, _pem(_issue(DEV_SIGNER_NAME, new_key, *root)), 0o644)
        leaf = _read_chain(signer_path)[0]
        signer_key = _read_key(signer_key_path)
    root_pem = _pem(root[0])
    return Credentials(_pem(leaf) + root_pem, _pkcs8(signer_key), "es256", True, root_pem)


def _load_dev_root(cert: Path, key: Path) -> tuple[x509.Certificate, PrivateKey] | None:
    """The stored root and its key, or None when missing or about to expire."""
    if not (cert.exists() and key.exists()):
        return None
    root = _read_chain(cert)[0]
    if root.not_valid_after_utc - _RENEW_BEFORE <= dt.datetime.now(dt.UTC):
        return None
    return root, _read_key(key)


def _usable_dev_signer(cert: Path, key: Path, root: x509.Certificate) -> bool:
    if not (cert.exists() and key.exists()):
        return False
    leaf = _read_chain(cert)[0]
    fresh = leaf.not_valid_after_utc - _RENEW_BEFORE > dt.datetime.now(dt.UTC)
    return (
        fresh
        and _issued_by(leaf, root)
        and _public_der(_read_key(key).public_key()) == _public_der(leaf.public_key())
    )


def _issue(
    subject: str, key: PrivateKey, issuer: x509.Certificate | None, issuer_key: PrivateKey
) -> x509.Certificate:
    """A root (no issuer: ~10 years) or a signer issued by it (~2 years, emailProtection)."""
    now = dt.datetime.now(dt.UTC)
    ca = issuer is None
    until = now + dt.timedelta(days=3652 if ca else 730)
    if issuer is not None:  # a signer never outlives its root
        until = min(until, issuer.not_valid_after_utc)
    usage = [not ca, False, False, False, False, ca, ca, False, False]
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(subject) if issuer is None else issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), True)
        .add_extension(x509.KeyUsage(*usage), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )
    if issuer is not None:
        ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), False
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
    digest = None if isinstance(issuer_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(issuer_key, digest)


def _extension(cert: x509.Certificate, kind: type[_E]) -> _E | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEV_ORGANIZATION),
        ]
    )


def _read_chain(path: Path) -> list[x509.Certificate]:
    data = _read(path, "certificate")
    try:
        chain = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise CertificateError(f"{path} holds no PEM certificate") from None
    return chain


def _read_key(path: Path) -> PrivateKey:
    data = _read(path, "private key")
    block = _KEY_BLOCK.search(data)
    if block is None:
        raise CertificateError(f"{path} holds no PEM private key")
    try:
        key = serialization.load_pem_private_key(block.group(0), password=None)
    except TypeError:
        raise CertificateError(
            f"{path}: encrypted private keys are not supported; decrypt it first "
            "(openssl pkey -in KEY -out PLAIN_KEY)"
        ) from None
    except ValueError as exc:
        raise CertificateError(f"{path}: cannot read the private key ({exc})") from None
    if not isinstance(
        key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
    ):
        raise CertificateError(
            f"{path}: unsupported key type {type(key).__name__}; use EC P-256/P-384/P-521, "
            "RSA (2048 bits or more) or Ed25519"
        )
    return key


def _algorithm(key: PrivateKey, path: Path) -> str:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < 2048:
            raise CertificateError(f"{path}: RSA keys need at least 2048 bits, got {key.key_size}")
        return "ps256"
    curves = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}
    if key.curve.name not in curves:
        raise CertificateError(
            f"{path}: unsupported EC curve {key.curve.name}; use P-256, P-384 or P-521"
        )
    return curves[key.curve.name]


def _check_chain(chain: list[x509.Certificate], path: Path) -> None:
    for position, (child, parent) in enumerate(itertools.pairwise(chain), start=1):
        if not _issued_by(child, parent):
            raise CertificateError(
                f"{path}: certificate {position} ({child.subject.rfc4514_string()}) is not "
                f"issued by certificate {position + 1} ({parent.subject.rfc4514_string()}); "
                "list the signer first, then each issuer in turn"
            )


def _self_issued(cert: x509.Certificate) -> bool:
    return cert.subject == cert.issuer and _issued_by(cert, cert)


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(parent)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CertificateError(f"cannot read the {what} file {path}: {exc.strerror}") from None


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _pkcs8(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _public_der(key: CertificatePublicKeyTypes) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write beside the target and rename, so a reader never sees half a file."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
