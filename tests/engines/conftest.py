from __future__ import annotations

from tests.engines.contract import pytest_generate_tests  # noqa: F401  (parametrizes `case`)
