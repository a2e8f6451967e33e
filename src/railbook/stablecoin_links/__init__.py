"""Stablecoin provider accounts: verified, encrypted links to a platform's Brale account."""
