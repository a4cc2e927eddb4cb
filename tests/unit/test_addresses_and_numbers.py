"""Addresses and numbers a client controls: IPv6 forms that lead to private IPv4 networks are
not public, broken URLs are ValueErrors that callers turn into 400s, and numbers of any length
are judged without ``int()``'s 4,300-digit limit."""

from __future__ import annotations

import logging

import httpx
import pytest

from reelway import errors, images, inputs, numeric
from reelway.api import content
from reelway.api import metrics as metrics_api
from reelway.cli import serve
from reelway.settings import Settings
from reelway.webhooks import sender

PRIVATE = [
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254 (cloud metadata)
    "64:ff9b::10.0.0.1",  # NAT64 of a private network
    "64:ff9b:1::a9fe:a9fe",  # NAT64 for local use (RFC 8215)
    "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "::127.0.0.1",  # IPv4-compatible
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.1.2.3",
    "::ffff:0:a9fe:a9fe",  # SIIT (IPv4-translated)
    "fec0::1",  # site-local
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "::1",
    "::",
    "fe80::1%eth0",
    "fc00::1",
    "ff0e::1",  # global multicast
    "127.0.0.1",
    "10.0.0.1",
    "169.254.169.254",
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",
]
PUBLIC = [
    "8.8.8.8",
    "2606:4700:4700::1111",
    "64:ff9b::8.8.8.8",  # a DNS64 network's answer for a public host still works
    "2002:808:808::1",
    "::ffff:8.8.8.8",
]


@pytest.mark.parametrize("address", PRIVATE)
def test_addresses_that_lead_to_private_networks_are_not_public(address: str) -> None:
    assert not inputs.is_public_address(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_stay_public(address: str) -> None:
    assert inputs.is_public_address(address)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:99999/x.png",
        "http://127.0.0.1:-1/x.png",
        "http://127.0.0.1:abc/x.png",
        "http://example.com:0/x.png",
        "http://example.com:" + "9" * 5000 + "/x.png",
        "http://[::1",
        "http://[::1/x.png",
        "http://[zz]/x.png",
    ],
)
def test_broken_ports_and_ipv6_literals_are_value_errors_in_words(url: str) -> None:
    with pytest.raises(ValueError) as caught:
        inputs.split_url(url)
    assert "port" in str(caught.value) or "IPv6" in str(caught.value)


def test_good_urls_split_as_urlsplit_does() -> None:
    parts = inputs.split_url("https://[2001:db8::1]:8443/a?b=c")
    assert (parts.hostname, parts.port, parts.path) == ("2001:db8::1", 8443, "/a")
    assert inputs.split_url("http://example.com/").port is None


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:99999/x.png", "http://[::1/x.png", "http://h:abc/x.png"]
)
async def test_an_image_url_with_a_broken_port_or_host_is_an_invalid_value(url: str) -> None:
    with pytest.raises(errors.InvalidValue) as caught:
        await inputs.load_image_url(
            url,
            param="input_reference.image_url",
            max_bytes=10,
            timeout_seconds=1,
            allow_private=False,
        )
    assert caught.value.param == "input_reference.image_url"


@pytest.mark.parametrize("url", ["http://127.0.0.1:99999/hook", "http://[::1/hook"])
async def test_a_stored_webhook_url_that_is_broken_is_a_refused_attempt(url: str) -> None:
    """The dispatcher checks every attempt; a URL stored before registration checked ports
    is a failed attempt with a reason, not an exception that leaves the delivery leased."""
    async with httpx.AsyncClient() as client:
        outcome = await sender.post(client, url, "{}", {}, timeout_seconds=1, allow_private=True)
    assert outcome.status_code is None and not outcome.delivered
    assert outcome.error is not None and "the URL" in outcome.error


def test_numbers_are_judged_by_length_before_int() -> None:
    huge = "9" * 5000
    assert numeric.whole(huge, 0, 100) is None
    assert numeric.whole("0" * 5000 + "42", 0, 100) == 42
    assert numeric.whole("100", 0, 100) == 100
    assert numeric.whole("101", 0, 100) is None
    assert numeric.whole("-1", 0, 100) is None
    assert numeric.whole("٣", 0, 100) is None  # an Arabic-Indic digit: isdigit() but not ASCII
    assert numeric.capped(huge, 10**18) == 10**18
    assert numeric.capped("0" * 5000, 7) == 0


def test_a_range_with_huge_numbers_is_out_of_range_not_an_error() -> None:
    huge = "9" * 5000
    with pytest.raises(errors.RangeNotSatisfiable):
        content.parse_range(f"bytes={huge}-", 1000)
    assert content.parse_range(f"bytes=-{huge}", 1000) == (0, 999)  # more than all: all
    assert content.parse_range(f"bytes=10-{huge}", 1000) == (10, 999)
    assert content.parse_range("bytes=" + "0" * 5000 + "5-9", 1000) == (5, 9)


@pytest.mark.parametrize(
    "data, looks",
    [
        (b"%PDF-1.7\n%\xe2\xe3", "PDF"),
        (b"GIF89a\x01\x00\x01\x00", "GIF image"),
        (b"hello, this is a text file\n", "text"),
        (b"<!DOCTYPE html><html>", "HTML page"),
        (b'{"image": "x"}', "JSON text"),
        (b"\x00\x01\x02\x03\xfe\xff" * 4, "24 bytes of unknown data"),
    ],
)
def test_a_file_that_is_not_an_image_is_described_not_repr_d(data: bytes, looks: str) -> None:
    with pytest.raises(errors.InvalidImage) as caught:
        images.check_bytes(data, param="input_reference", max_bytes=10**6, expected_size=(8, 8))
    assert f"it looks like: {looks}," in caught.value.message
    assert "PNG, JPEG or WebP" in caught.value.message


def test_a_damaged_image_says_so_without_a_python_repr() -> None:
    with pytest.raises(errors.InvalidImage) as caught:
        images.check_bytes(
            b"\x89PNG\r\n\x1a\nrubbish", param="input_reference", max_bytes=99, expected_size=(8, 8)
        )
    message = caught.value.message
    assert "PNG" in message and "damaged or truncated" in message
    assert "<" not in message and "0x" not in message and "object at" not in message


@pytest.mark.parametrize(
    "host, token, open_",
    [
        ("127.0.0.1", "", False),
        ("::1", "", False),
        ("[::1]", "", False),
        ("localhost", "", False),
        ("127.0.0.2", "", False),
        ("0.0.0.0", "", True),
        ("::", "", True),
        ("192.168.1.20", "", True),
        ("reelway.internal", "", True),
        ("0.0.0.0", "s3cret", False),
    ],
)
def test_metrics_are_open_to_the_network_only_without_a_token_beyond_loopback(
    host: str, token: str, open_: bool
) -> None:
    assert metrics_api.open_to_network(host, token) is open_


def test_serve_warns_at_start_up_when_metrics_are_open(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="reelway.cli.serve"):
        serve.warn_if_metrics_open(Settings(host="127.0.0.1"))
        assert not caplog.records
        serve.warn_if_metrics_open(Settings(host="0.0.0.0", metrics_token="t"))
        assert not caplog.records
        serve.warn_if_metrics_open(Settings(host="0.0.0.0"))
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert "unauthenticated" in record.getMessage() and "0.0.0.0" in record.getMessage()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:1/a\x00.png",
        "http://example.com/a b.png",
        "http://example.com/\ta.png",
        "http://exa\nmple.com/",
        "http://example.com/\x7f",
        "http://example.com/\x85",
    ],
)
def test_urls_with_control_characters_or_spaces_are_value_errors(url: str) -> None:
    """httpx refuses these at send time (a 500 and a delivery that can never go)."""
    with pytest.raises(ValueError, match="control character"):
        inputs.split_url(url)


@pytest.mark.parametrize("name", ["hook\x00", "right\u202eleft", "bell\x07"])
def test_webhook_names_must_be_printable(name: str) -> None:
    from reelway.webhooks import endpoints

    with pytest.raises(errors.InvalidValue) as caught:
        endpoints._name(name, required=True)
    assert caught.value.param == "name"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:pw@[::1]:8080/x.png?sig=secret", "http://[::1]:8080/x.png"),
        ("https://[2001:db8::1]/a.png", "https://[2001:db8::1]/a.png"),
        ("https://u:p@example.com/a.png?X-Amz-Signature=1", "https://example.com/a.png"),
    ],
)
def test_urls_in_messages_keep_ipv6_brackets_and_drop_secrets(url: str, shown: str) -> None:
    assert inputs._redact(url) == shown


@pytest.mark.parametrize("value", [True, False, "nan", "1e999", 10**400, "-1", [], None])
def test_an_overlap_that_is_not_a_number_of_seconds_is_refused(value: object) -> None:
    from reelway.webhooks import endpoints

    with pytest.raises(errors.InvalidValue) as caught:
        endpoints._seconds(value)
    assert caught.value.param == "keep_old_secret_seconds"


@pytest.mark.parametrize(("value", "seconds"), [(0, 0.0), ("90", 90.0), (3600.5, 3600.5)])
def test_an_overlap_in_seconds_is_taken(value: object, seconds: float) -> None:
    from reelway.webhooks import endpoints

    assert endpoints._seconds(value) == seconds
