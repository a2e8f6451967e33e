"""Brale: the client Railbook uses to verify stablecoin provider credentials, and a local simulator of it."""
