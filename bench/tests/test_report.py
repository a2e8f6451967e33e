"""The printed table: the keyed create's ratio is read against the plain creates alternated with it."""

from __future__ import annotations

from bench.report import table_rows
from bench.tests.test_turns import turn


def test_the_keyed_create_is_compared_with_the_plain_creates_of_its_own_turns() -> None:
    results = {
        "railbook": {
            "create": turn(9000, 10.0, 4.0, 30.0, 0.8),
            "create_idempotent": turn(6000, 10.0, 6.0, 40.0, 1.2),
            "create_beside_keyed": turn(8000, 10.0, 5.0, 35.0, 0.9),
        },
        "baseline": {"create": turn(10000, 10.0, 3.0, 25.0, 0.7)},
    }

    rows = {row[0]: row for row in table_rows(results)}

    keyed = rows["create + Idempotency-Key (vs plain)"]
    assert keyed[1] == "600" and keyed[5] == "0.75x"  # 600 / 800 req/s, not 600 / 1,000 (the baseline's)
    assert rows["create, alternated with keyed"][1] == "800"
    assert rows["create, 32 conn"][5] == "0.90x"
