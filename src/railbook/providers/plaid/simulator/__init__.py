"""A stateful local stand-in for Plaid's API (sandbox data, Plaid's errors and lifetimes, test switches)."""

from railbook.providers.plaid.simulator.app import create_simulator
from railbook.providers.plaid.simulator.state import SimulatorState

__all__ = ["SimulatorState", "create_simulator"]
