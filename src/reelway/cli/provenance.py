"""``reelway provenance verify|certificate``: check a file's Content Credentials offline.

``verify`` is what a recipient runs on a downloaded video; ``certificate`` prints the root
they need to pass as ``--trust`` to see "Trusted" rather than "Valid" (signed, intact, but
by a signer this machine has no reason to trust).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from reelway.cli.common import data_dir_option, load_settings
from reelway.media import certificates
from reelway.media import provenance as c2pa_provenance

_UNTRUSTED = "signingCredential.untrusted"


@click.group()
def provenance() -> None:
    """Verify C2PA Content Credentials and print the certificate to trust."""


@provenance.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--trust",
    "trust",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="PEM root certificate(s) to trust (see `reelway provenance certificate`).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def verify(file: Path, trust: Path | None, as_json: bool) -> None:
    """Validate FILE's manifest; exit 0 when Valid or Trusted, 1 otherwise."""
    trust_pem = trust.read_bytes() if trust is not None else None
    try:
        report = c2pa_provenance.read(file, trust_pem=trust_pem)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, sort_keys=True))
    else:
        _print(report, trusted_given=trust is not None)
    if not report.ok:
        raise click.exceptions.Exit(1)


@provenance.command("certificate")
@data_dir_option
def certificate(data_dir: Path | None) -> None:
    """Print the root certificate to trust: the development CA's (made if missing), or the
    configured chain (REELWAY_C2PA_CERT) when an operator certificate is set."""
    settings = load_settings(drivers=False, data_dir=data_dir)
    try:
        creds = certificates.resolve(settings.c2pa_cert, settings.c2pa_key, settings.data_dir)
    except certificates.CertificateError as exc:
        raise click.ClickException(str(exc)) from None
    if creds.development:
        click.echo(
            "# Reelway development root CA: trust it only for outputs of this server", err=True
        )
        assert creds.root_pem is not None
        click.echo(creds.root_pem.decode("ascii"), nl=False)
    else:
        click.echo(f"# signing chain from {settings.c2pa_cert}, signer first", err=True)
        click.echo(creds.chain_pem.decode("ascii"), nl=False)


def _print(report: c2pa_provenance.Report, *, trusted_given: bool) -> None:
    if report.state == "Missing":
        click.echo("state: Missing (no C2PA manifest in this file)")
        return
    click.echo(f"state: {report.state}")
    signer = " / ".join(x for x in (report.common_name, report.issuer) if x)
    _line("signer", signer)
    _line("generator", report.generator)
    _line("source type", report.digital_source_type)
    if report.generation:
        _line("generation", ", ".join(f"{k}={v}" for k, v in sorted(report.generation.items())))
    _line("assertions", ", ".join(report.assertions))
    for ingredient in report.ingredients:
        click.echo(f"ingredient: {_ingredient(ingredient)}")
    _line("failures", ", ".join(report.failures))
    if _UNTRUSTED in report.failures and not trusted_given:
        click.echo(
            "note: signed and intact, but the signer's root is not trusted here; pass "
            "--trust ROOT.pem (`reelway provenance certificate` prints Reelway's)"
        )


def _ingredient(ingredient: dict[str, Any]) -> str:
    text = f"{ingredient.get('title')} ({ingredient.get('relationship')})"
    if not ingredient.get("has_manifest"):
        return text + ", no manifest"
    signer = " / ".join(x for x in (ingredient.get("common_name"), ingredient.get("issuer")) if x)
    return f"{text}, manifest by {signer or 'unknown'}, {ingredient.get('validation_state')}"


def _line(name: str, value: str | None) -> None:
    if value:
        click.echo(f"{name}: {value}")
