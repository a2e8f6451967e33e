"""What the tests share: servers, simulators' switches, the contract checker, process helpers."""
