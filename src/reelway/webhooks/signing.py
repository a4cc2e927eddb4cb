"""Standard Webhooks signatures, exactly as the official OpenAI SDKs verify them.

``webhook-signature`` is ``v1,<base64 HMAC-SHA256>`` over ``"{webhook-id}.{timestamp}.{body}"``
with the key ``base64decode(secret[len("whsec_"):])``; several signatures are separated by
spaces (a rotation's overlap), and the timestamp is integer seconds.  The SDKs decode the
secret only when it starts with ``whsec_``, so every secret Reelway issues does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def hint(secret: str) -> str:
    """Enough of a secret to tell two apart, never enough to use."""
    return f"{PREFIX}...{secret[-4:]}"


def _key(secret: str) -> bytes:
    if secret.startswith(PREFIX):
        return base64.b64decode(secret[len(PREFIX) :])
    return secret.encode("utf-8")


def signature(secret: str, message_id: str, timestamp: int, body: str) -> str:
    signed = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(
    signing_secrets: list[str], message_id: str, timestamp: int, body: str
) -> dict[str, str]:
    """The three Standard Webhooks headers, signed with every secret given."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp)),
        "webhook-signature": " ".join(
            signature(secret, message_id, int(timestamp), body) for secret in signing_secrets
        ),
    }
