"""The webhook figure: the median of several bursts, not one burst's luck."""

from __future__ import annotations

from typing import Any

from bench.scenarios import WEBHOOK_ROUNDS, median_round


def burst(per_second: float | None, drain: float) -> dict[str, Any]:
    return {"events": 3000, "delivered": 3000, "per_second": per_second, "first_after_commit_s": 0.01,
            "drain_seconds": drain}  # fmt: skip


def test_the_figure_is_the_median_burst_with_every_bursts_rate_kept() -> None:
    figures = median_round([burst(620.0, 4.8), burst(390.0, 7.7), burst(510.0, 5.9)])

    assert figures["per_second"] == 510.0
    assert figures["drain_seconds"] == 5.9
    assert figures["rounds_per_second"] == [620.0, 390.0, 510.0]
    assert WEBHOOK_ROUNDS >= 3


def test_a_burst_that_delivered_nothing_counts_as_the_slowest() -> None:
    figures = median_round([burst(None, 60.0), burst(400.0, 7.5), burst(450.0, 6.7)])

    assert figures["per_second"] == 400.0
    assert figures["rounds_per_second"] == [None, 400.0, 450.0]


def test_with_an_even_number_of_bursts_the_lower_middle_one_counts() -> None:
    assert median_round([burst(400.0, 7.5), burst(600.0, 5.0)])["per_second"] == 400.0
