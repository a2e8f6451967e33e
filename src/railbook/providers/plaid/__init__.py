"""Plaid: the client Railbook uses and the local simulator it can talk to."""
