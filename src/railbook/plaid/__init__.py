"""Plaid Link: link tokens, the public-token callback and the asynchronous verification of the account."""
