"""Reading the whole numbers clients send as text (query strings, headers, form fields).

``int()`` refuses strings of more than 4,300 digits with a ValueError (and works hard well
before that); a client's number that long is simply out of range, so these judge a number by
its length before converting it, and never raise for what a client sends.
"""

from __future__ import annotations


def is_digits(text: str) -> bool:
    """Only ASCII digits (``str.isdigit`` also accepts superscripts and other scripts)."""
    return text.isascii() and text.isdigit()


def capped(digits: str, cap: int) -> int:
    """The number written in ``digits`` (ASCII digits only), or ``cap`` when it is larger."""
    significant = digits.lstrip("0")
    if len(significant) > len(str(cap)):
        return cap
    return min(int(significant or "0"), cap)


def whole(text: str, low: int, high: int) -> int | None:
    """The whole number in ``text`` if it is written in ASCII digits and lies in
    ``[low, high]``; None for anything else (a sign, a fraction, a number out of range)."""
    if not is_digits(text):
        return None
    value = capped(text, high + 1)
    return value if low <= value <= high else None
