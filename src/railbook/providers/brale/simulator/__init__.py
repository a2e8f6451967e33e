"""A stateful local stand-in for Brale (token endpoint, accounts, Brale's errors and token lifetimes, test switches)."""

from railbook.providers.brale.simulator.app import create_brale_simulator
from railbook.providers.brale.simulator.state import BUILT_IN_CLIENTS, BraleSimulatorState, SimulatedClient

__all__ = ["BUILT_IN_CLIENTS", "BraleSimulatorState", "SimulatedClient", "create_brale_simulator"]
