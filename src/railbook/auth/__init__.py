"""API tokens and the Basic scheme: the only place that authenticates a caller."""
