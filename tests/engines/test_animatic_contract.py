"""The local engine contract, run against the animatic engine."""

from __future__ import annotations

import pytest

from reelway.engines.animatic.engine import AnimaticEngine
from tests.engines.contract import LocalEngineContract, MakeEngine


class TestAnimaticContract(LocalEngineContract):
    @pytest.fixture
    def make_engine(self) -> MakeEngine:
        return lambda: AnimaticEngine(fps=8)
