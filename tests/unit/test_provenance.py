"""C2PA signing and reading on real files: MP4s from Mp4Writer, WebP and JPEG from Pillow.

Everything runs offline with self-made CAs: Reelway's development CA, and a "Provider Inc" CA
standing for an upstream provider that signs its own outputs.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import av
import c2pa
import numpy as np
import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier
from PIL import Image

from reelway.cli.provenance import provenance as provenance_cli
from reelway.media import certificates, encode, probe
from reelway.media import provenance as pv
from reelway.media.certificates import CertificateError, Credentials

FPS = 12
FRAMES = 12
TRAINED = pv.TRAINED_ALGORITHMIC_MEDIA
CLAIM = pv.Claim("video_abc.mp4", "sora-2", "animatic", "video_abc", "0.1.0", extra={"seconds": 1})
EMAIL = ExtendedKeyUsageOID.EMAIL_PROTECTION
CLAIM_SIGNING = ObjectIdentifier("1.3.6.1.4.1.62558.2.1")


# ----------------------------------------------------------------------------- helpers


def make_clip(path: Path, shade: int = 0) -> Path:
    with encode.Mp4Writer(path, 64, 48, FPS) as writer:
        t = np.arange(encode.AUDIO_RATE) / encode.AUDIO_RATE
        tone = (0.2 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)
        writer.write_audio(np.stack([tone, tone]))
        for i in range(FRAMES):
            writer.write_frame(np.full((48, 64, 3), (shade + 15 * i) % 230, np.uint8))
    return path


def remux(src: Path, dst: Path) -> Path:
    """Copy the packets into a fresh faststart MP4, as Reelway does with provider files."""
    with (
        av.open(str(src)) as inp,
        av.open(str(dst), "w", options={"movflags": "+faststart"}) as out,
    ):
        streams = {s.index: out.add_stream_from_template(s) for s in inp.streams}
        for packet in inp.demux():
            if packet.dts is not None:
                packet.stream = streams[packet.stream.index]
                out.mux(packet)
    return dst


def decoded_frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def flip_mdat_byte(path: Path) -> None:
    mdat = next(a for a in probe.top_level_atoms(path) if a.kind == "mdat")
    data = bytearray(path.read_bytes())
    data[mdat.offset + mdat.size // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def manifest_actions(path: Path) -> list[dict[str, Any]]:
    with open(path, "rb") as f, c2pa.Reader("video/mp4", f) as reader:
        store = json.loads(reader.json())
    active = store["manifests"][store["active_manifest"]]
    return next(
        a["data"]["actions"] for a in active["assertions"] if a["label"] == "c2pa.actions.v2"
    )


def _name(cn: str, org: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
        ]
    )


def _usage(signing: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        signing, False, False, False, False, not signing, not signing, False, False
    )


def make_ca(org: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{org} Root", org))
        .issuer_name(_name(f"{org} Root", org))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_usage(False), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def make_leaf(
    ca: tuple[Any, x509.Certificate],
    org: str,
    *,
    key: Any = None,
    ekus: Sequence[ObjectIdentifier] = (EMAIL,),
    is_ca: bool = False,
    signing: bool = True,
    self_signed: bool = False,
    aki: bool = True,
    days: tuple[int, int] = (-1, 365),
) -> tuple[Any, x509.Certificate]:
    key = key or ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    name = _name(f"{org} signer", org)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name if self_signed else ca[1].subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + dt.timedelta(days=days[0]))
        .not_valid_after(now + dt.timedelta(days=days[1]))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
        .add_extension(_usage(signing), critical=True)
    )
    if ekus:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(ekus)), critical=False)
    if aki:
        issuer_key = key if self_signed else ca[0]
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    signer = key if self_signed else ca[0]
    algorithm = None if isinstance(signer, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return key, builder.sign(signer, algorithm)


def pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def key_pem(
    key: Any, fmt: serialization.PrivateFormat = serialization.PrivateFormat.PKCS8
) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())  # type: ignore[no-any-return]


def write_pair(folder: Path, chain: bytes, key: bytes) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "chain.pem").write_bytes(chain)
    (folder / "key.pem").write_bytes(key)
    return folder / "chain.pem", folder / "key.pem"


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Credentials:
    return certificates.development(tmp_path_factory.mktemp("c2pa") / "c2pa")


@pytest.fixture(scope="module")
def signer(dev: Credentials) -> pv.Signer:
    return pv.Signer(dev)


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> pv.Signer:
    ca = make_ca("Provider Inc")
    key, leaf = make_leaf(ca, "Provider Inc")
    folder = tmp_path_factory.mktemp("provider")
    return pv.Signer(certificates.load(*write_pair(folder, pem(leaf, ca[1]), key_pem(key))))


# ----------------------------------------------------------------------------- signing


def test_signed_mp4_is_valid_and_trusted_with_the_dev_root(
    tmp_path: Path, signer: pv.Signer, dev: Credentials
) -> None:
    src = make_clip(tmp_path / "raw.mp4")
    dst = tmp_path / "signed.mp4"
    signer.sign(src, dst, "video/mp4", CLAIM)

    report = pv.read(dst)
    assert report.state == "Valid" and report.ok
    assert report.failures == ["signingCredential.untrusted"]
    assert {"c2pa.actions.v2", "org.reelway.generation", "c2pa.hash.bmff.v3"} <= set(
        report.assertions
    )
    assert report.generation == {
        "model": "sora-2",
        "engine": "animatic",
        "video_id": "video_abc",
        "reelway_version": "0.1.0",
        "seconds": 1,
    }
    assert report.digital_source_type == TRAINED
    assert report.generator == "Reelway 0.1.0"
    assert report.common_name == "Reelway development signer"
    assert report.issuer == "Reelway (development)"
    assert [a["action"] for a in manifest_actions(dst)] == ["c2pa.created"]

    trusted = pv.read(dst, trust_pem=dev.root_pem)
    assert (trusted.state, trusted.failures) == ("Trusted", [])

    info = probe.probe(dst)
    assert decoded_frames(dst) == FRAMES and info.has_audio
    assert info.faststart and "uuid" in info.atoms


def test_signing_in_place_leaves_no_temporary_files(tmp_path: Path, signer: pv.Signer) -> None:
    path = make_clip(tmp_path / "v.mp4")
    path.chmod(0o644)
    signer.sign(path, path, "video/mp4", CLAIM)
    assert pv.read(path).state == "Valid"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.mp4"]
    assert path.stat().st_mode & 0o777 == 0o644


def test_a_flipped_mdat_byte_makes_it_invalid(tmp_path: Path, signer: pv.Signer) -> None:
    path = make_clip(tmp_path / "v.mp4")
    signer.sign(path, path, "video/mp4", CLAIM)
    flip_mdat_byte(path)
    report = pv.read(path)
    assert report.state == "Invalid" and not report.ok
    assert "assertion.bmffHash.mismatch" in report.failures


def test_an_unsigned_file_reads_as_missing(tmp_path: Path) -> None:
    report = pv.read(make_clip(tmp_path / "v.mp4"))
    assert report.state == "Missing" and report.assertions == [] and not report.ok


def test_a_provider_manifest_is_kept_as_the_parent_ingredient(
    tmp_path: Path, signer: pv.Signer, provider: pv.Signer, dev: Credentials
) -> None:
    upstream = tmp_path / "upstream.mp4"
    provider.sign(make_clip(tmp_path / "raw.mp4"), upstream, "video/mp4", CLAIM)
    assert pv.read(upstream).issuer == "Provider Inc"
    delivered = remux(upstream, tmp_path / "delivered.mp4")
    assert pv.read(delivered).state == "Missing"  # re-muxing drops the provider's manifest

    claim = pv.Claim(
        "video_abc.mp4", "sora-2", "openai", "video_abc", "0.1.0", parent_title="sora-2 output"
    )
    signer.sign(
        delivered, delivered, "video/mp4", claim, ingredient=upstream, edits=["remux", "watermark"]
    )

    report = pv.read(delivered, trust_pem=dev.root_pem)
    assert report.state == "Trusted"
    assert report.digital_source_type == TRAINED
    assert report.generation is not None and report.generation["engine"] == "openai"
    [parent] = report.ingredients
    assert parent["title"] == "sora-2 output" and parent["relationship"] == "parentOf"
    assert parent["has_manifest"] and parent["validation_state"] == "Valid"
    assert (parent["issuer"], parent["common_name"]) == ("Provider Inc", "Provider Inc signer")
    actions = manifest_actions(delivered)
    assert [a["action"] for a in actions] == ["c2pa.opened", "c2pa.repackaged", "c2pa.edited"]
    assert actions[0]["digitalSourceType"] == TRAINED and actions[0]["parameters"]["ingredients"]
    assert decoded_frames(delivered) == FRAMES


def test_an_unsigned_ingredient_is_listed_without_a_manifest(
    tmp_path: Path, signer: pv.Signer
) -> None:
    parent = make_clip(tmp_path / "upstream.mp4", shade=7)
    out = tmp_path / "out.mp4"
    signer.sign(remux(parent, tmp_path / "remuxed.mp4"), out, "video/mp4", CLAIM, ingredient=parent)
    report = pv.read(out)
    assert report.state == "Valid" and report.digital_source_type == TRAINED
    [ingredient] = report.ingredients
    assert ingredient["title"] == "upstream.mp4" and not ingredient["has_manifest"]
    assert ingredient["validation_state"] is None


@pytest.mark.parametrize(
    ("fmt", "mime", "suffix"), [("WEBP", "image/webp", ".webp"), ("JPEG", "image/jpeg", ".jpg")]
)
def test_images_sign_and_read_back_valid(
    tmp_path: Path, signer: pv.Signer, fmt: str, mime: str, suffix: str
) -> None:
    path = tmp_path / f"thumb{suffix}"
    Image.new("RGB", (64, 48), (30, 140, 200)).save(path, fmt)
    signer.sign(path, path, mime, CLAIM)
    report = pv.read(path)
    assert report.state == "Valid" and report.generation is not None
    assert not any("thumbnail" in label for label in report.assertions)
    assert pv.read(path.rename(tmp_path / "noext")).state == "Valid"  # mime sniffed from bytes
    with Image.open(tmp_path / "noext") as image:
        assert image.size == (64, 48)


def test_unsupported_mime_is_refused(tmp_path: Path, signer: pv.Signer) -> None:
    with pytest.raises(ValueError, match="image/png"):
        signer.sign(tmp_path / "x.png", tmp_path / "y.png", "image/png", CLAIM)


def test_signing_from_many_threads_at_once(tmp_path: Path, signer: pv.Signer) -> None:
    clip = make_clip(tmp_path / "clip.mp4")

    def sign(i: int) -> str:
        dst = tmp_path / f"out{i}.mp4"
        signer.sign(clip, dst, "video/mp4", pv.Claim("t", "m", "e", f"video_{i}", "0.1.0"))
        report = pv.read(dst)
        return f"{report.state} {report.generation and report.generation['video_id']}"

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(sign, range(24)))
    assert results == [f"Valid video_{i}" for i in range(24)]


# ----------------------------------------------------------------------------- development CA


def test_development_ca_is_made_once_and_reused(tmp_path: Path) -> None:
    first = certificates.development(tmp_path / "c2pa")
    second = certificates.development(tmp_path / "c2pa")
    assert first == second and first.development and first.algorithm == "es256"
    assert first.root_pem == (tmp_path / "c2pa" / "root.pem").read_bytes()
    for name in ("signer.key", "root.key"):
        assert (tmp_path / "c2pa" / name).stat().st_mode & 0o777 == 0o600
    leaf = x509.load_pem_x509_certificates(first.chain_pem)[0]
    assert (
        leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        == "Reelway development signer"
    )
    assert list(leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [EMAIL]
    assert leaf.extensions.get_extension_for_class(x509.BasicConstraints).critical


def test_an_expired_development_signer_is_reissued_by_the_same_root(tmp_path: Path) -> None:
    folder = tmp_path / "c2pa"
    first = certificates.development(folder)
    root_key = serialization.load_pem_private_key((folder / "root.key").read_bytes(), None)
    root = x509.load_pem_x509_certificate(first.root_pem or b"")
    key, expired = make_leaf((root_key, root), "Reelway", days=(-800, -1))
    (folder / "signer.pem").write_bytes(pem(expired))
    (folder / "signer.key").write_bytes(key_pem(key))

    renewed = certificates.development(folder)
    assert renewed.root_pem == first.root_pem and renewed.chain_pem != pem(expired)
    leaf = x509.load_pem_x509_certificates(renewed.chain_pem)[0]
    assert leaf.not_valid_after_utc > dt.datetime.now(dt.UTC) + dt.timedelta(days=365)


def test_processes_starting_together_agree_on_one_development_ca(tmp_path: Path) -> None:
    folder = tmp_path / "c2pa"
    code = (
        "import sys, time, hashlib; from pathlib import Path\n"
        "from reelway.media import certificates\n"
        "while time.time() < float(sys.argv[2]): pass\n"  # all generate at the same moment
        "c = certificates.development(Path(sys.argv[1]))\n"
        "print(hashlib.sha256(c.chain_pem + c.key_pem).hexdigest())"
    )
    start = str(time.time() + 1.0)
    command = [sys.executable, "-c", code, str(folder), start]
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(6)]
    digests = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert all(p.returncode == 0 for p in procs)
    assert len(digests) == 1
    assert certificates.development(folder).root_pem == (folder / "root.pem").read_bytes()
    assert not [p for p in folder.iterdir() if p.name.startswith(".") and p.name != ".lock"]


def test_resolve_picks_operator_files_or_the_development_ca(tmp_path: Path) -> None:
    assert certificates.resolve(None, None, tmp_path).development
    assert (tmp_path / "c2pa" / "root.pem").exists()
    with pytest.raises(CertificateError, match="both"):
        certificates.resolve(tmp_path / "cert.pem", None, tmp_path)


# ----------------------------------------------------------------------------- operator credentials


@pytest.mark.parametrize(
    ("key", "algorithm"),
    [
        (lambda: ec.generate_private_key(ec.SECP256R1()), "es256"),
        (lambda: ec.generate_private_key(ec.SECP384R1()), "es384"),
        (lambda: rsa.generate_private_key(65537, 2048), "ps256"),
        (ed25519.Ed25519PrivateKey.generate, "ed25519"),
    ],
)
def test_operator_credentials_load_and_sign(
    tmp_path: Path, key: Callable[[], Any], algorithm: str
) -> None:
    ca = make_ca("Operator Org")
    leaf_key, leaf = make_leaf(ca, "Operator Org", key=key())
    # A traditional ("EC PRIVATE KEY" / "RSA PRIVATE KEY") file is accepted too.
    fmt = (
        serialization.PrivateFormat.PKCS8
        if algorithm == "ed25519"
        else serialization.PrivateFormat.TraditionalOpenSSL
    )
    creds = certificates.load(*write_pair(tmp_path, pem(leaf, ca[1]), key_pem(leaf_key, fmt)))
    assert (creds.algorithm, creds.development, creds.root_pem) == (algorithm, False, pem(ca[1]))
    assert creds.key_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    path = tmp_path / "t.jpg"
    Image.new("RGB", (32, 32)).save(path, "JPEG")
    pv.Signer(creds).sign(path, path, "image/jpeg", CLAIM)
    assert pv.read(path, trust_pem=pem(ca[1])).state == "Trusted"


def _bad(kind: str, tmp_path: Path) -> tuple[Path, Path]:
    ca = make_ca("Operator Org")
    variants: dict[str, dict[str, Any]] = {
        "no EKU": {"ekus": ()},
        "serverAuth EKU": {"ekus": (ExtendedKeyUsageOID.SERVER_AUTH,)},
        "claimSigning EKU only": {"ekus": (CLAIM_SIGNING,)},
        "anyExtendedKeyUsage": {"ekus": (EMAIL, ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE)},
        "CA leaf": {"is_ca": True},
        "self-signed leaf": {"self_signed": True},
        "no digitalSignature": {"signing": False},
        "no authorityKeyIdentifier": {"aki": False},
        "expired": {"days": (-30, -1)},
        "secp256k1": {"key": ec.generate_private_key(ec.SECP256K1())},
    }
    key, leaf = make_leaf(ca, "Operator Org", **variants.get(kind, {}))
    chain, key_bytes = pem(leaf, ca[1]), key_pem(key)
    if kind == "mismatched key":
        key_bytes = key_pem(ec.generate_private_key(ec.SECP256R1()))
    elif kind == "root first":
        chain = pem(ca[1], leaf)
    elif kind == "encrypted key":
        key_bytes = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    cert_path, key_path = write_pair(tmp_path, chain, key_bytes)
    if kind == "unreadable file":
        cert_path.unlink()
    return cert_path, key_path


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("no EKU", "needs an extendedKeyUsage of emailProtection"),
        ("serverAuth EKU", r"found: 1\.3\.6\.1\.5\.5\.7\.3\.1"),
        ("claimSigning EKU only", "needs an extendedKeyUsage"),
        ("anyExtendedKeyUsage", "must not have anyExtendedKeyUsage"),
        ("CA leaf", "is a CA"),
        ("self-signed leaf", "is self-signed"),
        ("no digitalSignature", "lacks keyUsage digitalSignature"),
        ("no authorityKeyIdentifier", "lacks an authorityKeyIdentifier"),
        ("expired", "expired on"),
        ("mismatched key", "does not match the certificate"),
        ("root first", "list the signer first"),
        ("secp256k1", "unsupported EC curve secp256k1"),
        ("encrypted key", "encrypted private keys are not supported"),
        ("unreadable file", "cannot read the certificate file"),
    ],
)
def test_bad_operator_credentials_fail_at_load(tmp_path: Path, kind: str, message: str) -> None:
    with pytest.raises(CertificateError, match=message):
        certificates.load(*_bad(kind, tmp_path))


def test_the_signer_self_test_catches_what_c2pa_would_refuse(dev: Credentials) -> None:
    other = key_pem(ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(CertificateError, match="c2pa refused the signing credentials"):
        pv.Signer(Credentials(dev.chain_pem, other, "es256", True, dev.root_pem))


# ----------------------------------------------------------------------------- CLI


def test_cli_verify_exit_codes(tmp_path: Path, signer: pv.Signer, dev: Credentials) -> None:
    runner = CliRunner()
    clip = make_clip(tmp_path / "v.mp4")
    missing = runner.invoke(provenance_cli, ["verify", str(clip)])
    assert missing.exit_code == 1 and "Missing" in missing.output

    signer.sign(clip, clip, "video/mp4", CLAIM)
    valid = runner.invoke(provenance_cli, ["verify", str(clip)])
    assert valid.exit_code == 0, valid.output
    assert "state: Valid" in valid.output and "--trust" in valid.output
    assert "model=sora-2" in valid.output and "Reelway development signer" in valid.output

    root = tmp_path / "root.pem"
    root.write_bytes(dev.root_pem or b"")
    trusted = runner.invoke(provenance_cli, ["verify", str(clip), "--trust", str(root), "--json"])
    assert trusted.exit_code == 0, trusted.output
    assert json.loads(trusted.output)["state"] == "Trusted"

    flip_mdat_byte(clip)
    invalid = runner.invoke(provenance_cli, ["verify", str(clip)])
    assert invalid.exit_code == 1 and "state: Invalid" in invalid.output


def test_cli_certificate_prints_the_development_root(tmp_path: Path) -> None:
    result = CliRunner().invoke(provenance_cli, ["certificate", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    root = (tmp_path / "c2pa" / "root.pem").read_bytes()
    assert root.decode() in result.output
    assert os.path.exists(tmp_path / "c2pa" / "signer.key")
