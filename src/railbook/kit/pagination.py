"""Opaque, signed keyset cursors over (createdAt, id), newest first."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

import orjson
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Integer,
    Select,
    and_,
    bindparam,
    func,
    or_,
    select,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from railbook.kit.driver_sql import DriverStatement

T = TypeVar("T")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class InvalidCursor(ValueError):
    """A cursor that was not issued for this list (tampered, truncated or foreign)."""


@dataclass(frozen=True)
class Position:
    """Where the previous page ended."""

    created_at: datetime
    id: str


@dataclass(frozen=True)
class PageWindow:
    """The page a request asks for: its size, where the previous page ended, and the list (scope) it reads."""

    limit: int
    after: Position | None
    codec: CursorCodec
    scope: str

    def cursor_after(self, position: Position) -> str:
        """The cursor of the page that follows `position` in this list."""
        return self.codec.encode(self.scope, position)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, ready to render as `{data, hasMore, nextCursor?, totalCount}`."""

    items: list[T]
    has_more: bool
    next_cursor: str | None
    total_count: int


class CursorCodec:
    """Signs cursors with an installation key and binds each to the list (scope) it came from."""

    def __init__(self, load_key: Callable[[], bytes]) -> None:
        self._load_key = load_key
        self._key: bytes | None = None

    def encode(self, scope: str, position: Position) -> str:
        """A cursor for the row after `position` in the list `scope`."""
        micros = (position.created_at - _EPOCH) // timedelta(microseconds=1)
        payload = orjson.dumps([micros, position.id])
        return f"{_b64(payload)}.{_b64(self._mac(scope, payload))}"

    def decode(self, scope: str, cursor: str) -> Position:
        """The position in `cursor`, or InvalidCursor when it was not issued for `scope`."""
        payload_text, sep, mac_text = cursor.partition(".")
        if not sep:
            raise InvalidCursor(cursor)
        try:
            payload = _unb64(payload_text)
            mac = _unb64(mac_text)
        except (binascii.Error, ValueError) as exc:
            raise InvalidCursor(cursor) from exc
        if not hmac.compare_digest(mac, self._mac(scope, payload)):
            raise InvalidCursor(cursor)
        try:
            micros, row_id = orjson.loads(payload)
        except (orjson.JSONDecodeError, ValueError, TypeError) as exc:
            raise InvalidCursor(cursor) from exc
        if not isinstance(micros, int) or not isinstance(row_id, str):
            raise InvalidCursor(cursor)
        created_at = _EPOCH + timedelta(microseconds=micros)
        return Position(created_at, str(row_id))

    def _mac(self, scope: str, payload: bytes) -> bytes:
        if self._key is None:
            # Loaded on first use: loading is idempotent, so a race only loads it twice.
            self._key = self._load_key()
        return hmac.new(self._key, scope.encode() + b"\x00" + payload, hashlib.sha256).digest()[:16]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def list_scope(name: str, **filters: Any) -> str:
    """A stable description of a list and its filters; a cursor only works for the same scope."""
    parts = [name] + [f"{key}={filters[key]}" for key in sorted(filters) if filters[key] is not None]
    return "\x1f".join(parts)


@dataclass(frozen=True)
class KeysetQuery:
    """A list's statements, built once with bind parameters: its count, its first page, the pages after a position.

    Built per request, a statement costs SQLAlchemy a cache key over its whole tree; built once, a list
    runs with parameters only (docs/performance.md). Each page carries the count as its last column
    (`TOTAL_COLUMN`, a subquery the database runs once), so a page and its total are one round trip.
    On a plain connection the statements run on the driver's cursor (rows as tuples); a Session runs
    them as SQLAlchemy statements, for lists of ORM objects.
    """

    count: Select[Any]
    first: Select[Any]
    after: Select[Any]
    on_driver: dict[str, DriverStatement] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        statements = {"count": self.count, "first": self.first, "after": self.after}
        object.__setattr__(self, "on_driver", {name: DriverStatement(query) for name, query in statements.items()})

    def rows(self, executor: Connection | Session, name: str, parameters: dict[str, Any]) -> Sequence[Any]:
        """The rows of the statement `name` ("first" or "after")."""
        if isinstance(executor, Session):
            return executor.execute(getattr(self, name), parameters).all()
        return self.on_driver[name].rows(executor, parameters)

    def total(self, executor: Connection | Session, parameters: dict[str, Any]) -> int:
        """The count of everything the list matches."""
        if isinstance(executor, Session):
            return int(executor.execute(self.count, parameters).scalar_one() or 0)
        return int(self.on_driver["count"].scalar(executor, parameters) or 0)


TOTAL_COLUMN = "total_count"


def keyset_query(
    statement: Select[Any],
    created_at: InstrumentedAttribute[datetime],
    row_id: InstrumentedAttribute[str],
    *,
    count: Select[Any] | None = None,
) -> KeysetQuery:
    """The KeysetQuery of a filtered statement; pages take `limit`, later pages `after_created_at` and `after_id`.

    `count` is how the total is found (default: counting what `statement` matches); any one-value query
    that is exact will do, such as a sum of kept counts.
    """
    after_created_at = bindparam("after_created_at", type_=created_at.type)
    after_id: BindParameter[str] = bindparam("after_id", type_=row_id.type)
    newest_first = (created_at.desc(), row_id.desc())
    limited: BindParameter[int] = bindparam("limit_plus_one", type_=Integer())
    later = or_(created_at < after_created_at, and_(created_at == after_created_at, row_id < after_id))
    if count is None:
        count = select(func.count()).select_from(statement.order_by(None).subquery())
    counted = statement.add_columns(count.scalar_subquery().label(TOTAL_COLUMN))
    return KeysetQuery(
        count=count,
        first=counted.order_by(*newest_first).limit(limited),
        after=counted.where(later).order_by(*newest_first).limit(limited),
    )


def run_keyset(
    executor: Connection | Session,
    query: KeysetQuery,
    parameters: dict[str, Any],
    window: PageWindow,
    position_of: Callable[[Any], Position],
) -> Page[Any]:
    """One newest-first page of rows after `after` (no OFFSET), and the count of everything that matches.

    The rows keep the count as their last column. Only a page with no rows (past the end) asks for the
    count on its own.
    """
    limit, after = window.limit, window.after
    if after is None:
        rows = query.rows(executor, "first", {**parameters, "limit_plus_one": limit + 1})
    else:
        page_parameters = {"after_created_at": after.created_at, "after_id": after.id, "limit_plus_one": limit + 1}
        rows = query.rows(executor, "after", {**parameters, **page_parameters})
    total = int(rows[0][-1] or 0) if rows else query.total(executor, parameters)
    has_more = len(rows) > limit
    items = list(rows[:limit])
    next_cursor = window.cursor_after(position_of(items[-1])) if has_more and items else None
    return Page(items=items, has_more=has_more, next_cursor=next_cursor, total_count=total)


class FilteredList:
    """A list with optional filters: the KeysetQuery of each combination of filters, built on first use and kept.

    `base` selects the caller's rows with bound parameters (`platform_id`, `mode`), and each named
    condition is one filter with its values bound by name. A request names the conditions it uses, so
    a combination's statements are built once per process and every later page runs with parameters
    only, as the account lists do (docs/performance.md).
    """

    def __init__(
        self,
        base: Select[Any],
        created_at: InstrumentedAttribute[datetime],
        row_id: InstrumentedAttribute[str],
        conditions: Mapping[str, ColumnElement[bool]],
    ) -> None:
        self._base = base
        self._created_at = created_at
        self._row_id = row_id
        self._conditions = dict(conditions)
        # At most one entry per combination of conditions; a race builds one twice and keeps either.
        self._queries: dict[frozenset[str], KeysetQuery] = {}

    def query(self, used: Iterable[str]) -> KeysetQuery:
        """The statements of the list filtered by the conditions named in `used`."""
        key = frozenset(used)
        found = self._queries.get(key)
        if found is None:
            statement = self._base.where(*(self._conditions[name] for name in sorted(key)))
            found = self._queries[key] = keyset_query(statement, self._created_at, self._row_id)
        return found

    def page(
        self,
        session: Session,
        window: PageWindow,
        scope_parameters: Mapping[str, Any],
        values: Mapping[str, Any],
        *,
        also: Iterable[str] = (),
    ) -> Page[Any]:
        """One newest-first page of the selected objects (the statement's first column).

        `values` are the filters sent, each bound to its condition's parameter by name; `also` names
        conditions that take no value.
        """
        created_at, row_id = self._created_at.key, self._row_id.key
        page = run_keyset(
            session, self.query([*values, *also]), {**scope_parameters, **values}, window,
            position_of=lambda row: Position(getattr(row[0], created_at), getattr(row[0], row_id)),
        )  # fmt: skip
        return Page([row[0] for row in page.items], page.has_more, page.next_cursor, page.total_count)


def like_containing(text: str) -> str:
    """A LIKE pattern (escape character `/`) that matches values containing `text` as it is."""
    escaped = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"
