"""The built-in prompt moderation: editable word lists per category (``moderation_rules.toml``).

Matching is case-insensitive on word boundaries, after folding curly apostrophes and runs of
whitespace, with an optional plural ending.  A term found only inside one of its category's
``allow`` phrases ("water gun", "shooting star") does not count, so the defaults refuse the
obvious cases without refusing ordinary prompts.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelway import datafiles
from reelway.policy.moderation import Finding

NAME = "rules"


@dataclass(frozen=True)
class Category:
    name: str
    description: str
    advice: str
    pattern: re.Pattern[str]
    allow: re.Pattern[str] | None


class RulesError(ValueError):
    """The rules file cannot be used; the message says where and why."""


class PromptRules:
    """A text backend that matches the prompt against each category's terms."""

    name = NAME

    def __init__(self, categories: Sequence[Category]) -> None:
        self.categories = tuple(categories)

    async def check_text(self, text: str) -> list[Finding]:
        return self.findings(text)

    def findings(self, text: str) -> list[Finding]:
        folded = fold(text)
        found: list[Finding] = []
        for category in self.categories:
            allowed = _spans(category.allow, folded) if category.allow else []
            words: list[str] = []
            for match in category.pattern.finditer(folded):
                inside = any(a <= match.start() and match.end() <= b for a, b in allowed)
                if not inside and match.group(0) not in words:
                    words.append(match.group(0))
            if words:
                evidence = "matched " + ", ".join(repr(w) for w in words[:5])
                found.append(Finding(category.name, NAME, evidence, category.advice))
        return found


def fold(text: str) -> str:
    """One spelling for matching: curly quotes straightened, whitespace runs made one space."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u2010", "-")
    return re.sub(r"\s+", " ", text)


def _term(term: str) -> str:
    words = [re.escape(part) for part in fold(term).strip().split(" ")]
    body = r"\s".join(words).replace("'", "['\u2019]?")
    return body + r"(?:s|es|'s)?"


def _alternation(terms: Sequence[str]) -> re.Pattern[str]:
    ordered = sorted({t for t in terms if t.strip()}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(_term(t) for t in ordered) + r")(?!\w)", re.I)


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


def load(path: Path | None = None) -> PromptRules:
    """The operator's rules file, or the shipped defaults."""
    where = "the shipped moderation_rules.toml" if path is None else str(path)
    try:
        data = datafiles.read_toml(path, "reelway.policy", "moderation_rules.toml")
    except OSError as exc:
        raise RulesError(f"cannot read moderation rules {path}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RulesError(f"{where} is not valid TOML: {exc}") from None
    return PromptRules(parse(data, where))


def parse(data: Mapping[str, Any], where: str = "moderation rules") -> list[Category]:
    unknown = set(data) - {"categories"}
    if unknown:
        raise RulesError(f"{where}: unknown top-level key {sorted(unknown)[0]!r}")
    categories = data.get("categories", {})
    if not isinstance(categories, Mapping):
        raise RulesError(f"{where}: [categories] must be a table")
    parsed: list[Category] = []
    for name, spec in categories.items():
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise RulesError(f"{where}: category name {name!r} must be lower_snake_case")
        if not isinstance(spec, Mapping):
            raise RulesError(f"{where}: categories.{name} must be a table")
        extra = set(spec) - {"description", "advice", "terms", "allow"}
        if extra:
            raise RulesError(f"{where}: categories.{name} has unknown key {sorted(extra)[0]!r}")
        terms = _strings(spec.get("terms"), f"{where}: categories.{name}.terms")
        if not terms:
            raise RulesError(f"{where}: categories.{name}.terms must list at least one term")
        allow = _strings(spec.get("allow", []), f"{where}: categories.{name}.allow")
        parsed.append(
            Category(
                name=name,
                description=str(spec.get("description", "")),
                advice=str(spec.get("advice", "")),
                pattern=_alternation(terms),
                allow=_alternation(allow) if allow else None,
            )
        )
    return parsed


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RulesError(f"{where} must be a list of strings")
    return list(value)
