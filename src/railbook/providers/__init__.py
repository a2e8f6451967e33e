"""Clients for everything Railbook talks to over the network."""
