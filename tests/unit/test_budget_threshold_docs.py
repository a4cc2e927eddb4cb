"""The budget thresholds the docs name are the ones the ledger raises events at.

docs/webhooks.md once said 50/80/100 % while the server raised 50/75/90 %; both pages are
read here and compared with ``ledger.BUDGET_ALERTS``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reelway.store import ledger

DOCS = Path(__file__).resolve().parents[2] / "docs"


def percents(sentence: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"(\d+)\s?%", sentence))


def budget_sentence(text: str, anchor: str) -> str:
    """The sentence (or table row) about the thresholds: from ``anchor`` to its full stop."""
    at = text.find(anchor)
    assert at >= 0, f"the docs lost the sentence starting {anchor!r}"
    return text[at : text.find(".", at + len(anchor))]


@pytest.mark.parametrize(
    ("page", "anchor"),
    [
        ("webhooks.md", "The project's spend crossed"),
        ("accounts.md", "When settled spending crosses"),
    ],
)
def test_the_docs_name_the_ledgers_thresholds(page: str, anchor: str) -> None:
    sentence = budget_sentence((DOCS / page).read_text("utf-8"), anchor)
    assert percents(sentence) == tuple(ledger.BUDGET_ALERTS), (page, sentence)


def test_accounts_md_says_webhooks_deliver_budget_events() -> None:
    text = (DOCS / "accounts.md").read_text("utf-8")
    assert "webhooks will deliver them" not in text
    assert "subscribe to `budget.threshold_reached` receive it" in text
