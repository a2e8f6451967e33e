"""UTC time and its RFC 3339 wire form."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, timezone-aware UTC, to the millisecond.

    Stored times equal their wire form, so a timestamp read from a response works as a filter bound.
    """
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def rfc3339(moment: datetime) -> str:
    """Render a timestamp as RFC 3339 UTC with a trailing Z (milliseconds kept)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def as_utc(moment: datetime | None) -> datetime | None:
    """A time without a zone is taken as UTC (the API's zone); None stays None."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment
