"""Standard Webhooks signatures as the official SDK checks them."""

from __future__ import annotations

import base64
import time
from typing import Any

import openai
import pytest

from reelway.webhooks import signing

# The test vector of openai-videos-spec.md §10, verified against both SDKs.
VECTOR_SECRET = "whsec_dGVzdC1zZWNyZXQta2V5LTAxMjM0NTY3ODlhYmNkZWY="
VECTOR_BODY = (
    '{"id":"evt_abc123","object":"event","created_at":1758941485,'
    '"type":"video.completed","data":{"id":"video_abc123"}}'
)


def test_the_reference_vector() -> None:
    assert (
        signing.signature(VECTOR_SECRET, "wh_test_123", 1758941485, VECTOR_BODY)
        == "v1,deLhlwxaHgUNvlsiilvJT99E0mwLFAebdEvOB06HZa0="
    )


def test_new_secrets_are_prefixed_random_and_32_bytes() -> None:
    made = {signing.new_secret() for _ in range(20)}
    assert len(made) == 20
    for secret in made:
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret[6:])) == 32
    assert signing.hint(VECTOR_SECRET) == "whsec_...ZWY="


def test_the_sdk_verifies_every_secret_of_a_rotation_overlap() -> None:
    old, new = signing.new_secret(), signing.new_secret()
    now = int(time.time())
    headers = signing.headers([new, old], "wh_1", now, VECTOR_BODY)
    assert headers["webhook-timestamp"] == str(now)
    assert headers["webhook-signature"].count("v1,") == 2
    client = openai.OpenAI(api_key="unused", base_url="http://127.0.0.1:9")
    for secret in (old, new):
        client.webhooks.verify_signature(VECTOR_BODY, headers, secret=secret)
        event: Any = client.webhooks.unwrap(VECTOR_BODY, headers, secret=secret)
        assert event.type == "video.completed"
    with pytest.raises(openai.InvalidWebhookSignatureError):
        client.webhooks.verify_signature(VECTOR_BODY, headers, secret=signing.new_secret())
    with pytest.raises(openai.InvalidWebhookSignatureError):
        client.webhooks.verify_signature(VECTOR_BODY + " ", headers, secret=new)
