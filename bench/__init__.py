"""Benchmarks (`make bench`): Railbook under wrk against a bare FastAPI baseline. Not part of `make test`."""
