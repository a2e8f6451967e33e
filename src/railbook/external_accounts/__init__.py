"""External accounts: where money can be sent, on every rail in the contract."""
