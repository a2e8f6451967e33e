"""One Plaid simulator server per module, reset before each test; every answer is checked against Plaid's spec."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from railbook.providers.plaid.simulator import create_simulator
from tests.support.plaid_simulator import CLIENT_ID, SECRET, FakeClock, Recorder, Simulator, recording
from tests.support.servers import serving


@pytest.fixture(scope="module")
def running() -> Iterator[Simulator]:
    """One simulator server per module on a random 127.0.0.1 port."""
    clock = FakeClock()
    recorder = Recorder()
    app = create_simulator(CLIENT_ID, SECRET, clock=clock)
    with serving(recording(app, recorder)) as url:
        yield Simulator(url, app.state.simulator, clock, recorder)


@pytest.fixture
def sim(running: Simulator) -> Iterator[Simulator]:
    """The running simulator, reset, with a fresh clock and recorder; every answer is schema-checked after."""
    running.control("reset")
    running.clock.now = FakeClock().now
    running.recorder.exchanges.clear()
    yield running
    running.assert_all_valid()
