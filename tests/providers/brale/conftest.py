"""The run's Brale simulator, reset before each test."""

from __future__ import annotations

import pytest

from tests.support.brale_simulator import Simulator


@pytest.fixture
def sim(brale_url: str) -> Simulator:
    """The run's Brale simulator (conftest's `brale_url`), reset."""
    simulator = Simulator(brale_url)
    simulator.control("reset")
    return simulator
