"""Tests of the app as a whole: wire conventions, routing, faults, topology, migrations."""
