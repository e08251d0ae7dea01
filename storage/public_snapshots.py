"""Snapshots of the public figures (storage.models.PublicSnapshot): each page's PublicFigures, counted by
the worker every half minute (all of them from one read, refresh_snapshots) and shared by every web
process, so no visitor waits for the aggregate (seconds at a million reports, bench/public.py) and N web
processes do not each count it.

A snapshot is served only while it is at most FRESH_FOR old (design.md: pages may be cached for at most
60 seconds); an older one is as good as missing, and the page counts inline (storage.public_figures.
cached_public_figures). The figures are kept as JSON that to_json / from_json turn back into the very same
dataclasses: every date, datetime, tuple and the order of every dict, which the pages show in order.
"""
from __future__ import annotations

import hashlib
import logging
import time
import types
from dataclasses import fields, is_dataclass
from datetime import date, datetime, timedelta
from typing import Any, Callable, Optional, Union, get_args, get_origin, get_type_hints

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from storage.database import new_read_session
from storage.models import PublicSnapshot, Ward
from storage.public_figures import PublicFigures, public_figures, public_figures_for_all

log = logging.getLogger(__name__)

# design.md: public pages may be cached for at most 60 seconds.
FRESH_FOR = timedelta(seconds=60)
# The borough's row: the primary key (ward_slug, months) cannot hold NULL.
BOROUGH = ""


# --- JSON, losslessly ----------------------------------------------------------------------------------

def _layout(cls: type, seen: Optional[set] = None) -> str:
    """The dataclasses' field names and types, nested: a snapshot written by code with another layout (a
    worker not yet restarted after a deploy) is not read, rather than read wrong."""
    seen = set() if seen is None else seen
    if cls in seen:
        return cls.__name__
    seen.add(cls)
    hints = get_type_hints(cls)
    parts = []
    for item in fields(cls):
        nested = [_layout(arg, seen) for arg in _all_types(hints[item.name]) if is_dataclass(arg)]
        parts.append(f"{item.name}:{hints[item.name]!r}{nested}")
    return f"{cls.__name__}({','.join(parts)})"


def _all_types(hint) -> list:
    args = get_args(hint)
    return [hint, *[inner for arg in args for inner in _all_types(arg)]]


FORMAT = hashlib.sha256(_layout(PublicFigures).encode()).hexdigest()[:16]


def to_json(figures: PublicFigures) -> dict:
    """The figures as a JSON-ready dict that from_json turns back into an equal PublicFigures."""
    return {"format": FORMAT, "figures": _encode(figures, PublicFigures)}


def from_json(document: dict) -> PublicFigures:
    """The PublicFigures to_json wrote. Raises ValueError for a document of another layout or a
    malformed one."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError("a snapshot of another layout of PublicFigures")
    try:
        return _decode(document["figures"], PublicFigures)
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"a malformed snapshot: {error!r}") from error


def _encode(value: Any, hint) -> Any:
    """Walks the declared type, not the value, so the decoder knows what each JSON value was."""
    if value is None:
        return None
    if is_dataclass(hint):
        hints = get_type_hints(hint)
        return {item.name: _encode(getattr(value, item.name), hints[item.name]) for item in fields(hint)}
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        return _encode(value, next(arg for arg in args if arg is not type(None)))
    if origin is dict:
        # Pairs, not an object: the order is what the pages show, and a JSON object's order is not
        # promised (PostgreSQL's jsonb, for one, sorts keys).
        return [[_encode(key, args[0]), _encode(item, args[1])] for key, item in value.items()]
    if origin is tuple:
        return [_encode(item, args[0]) for item in value]
    if hint in (datetime, date):
        return value.isoformat()
    return value


def _decode(value: Any, hint) -> Any:
    if value is None:
        return None
    if is_dataclass(hint):
        hints = get_type_hints(hint)
        if set(value) != {item.name for item in fields(hint)}:
            raise KeyError(f"{hint.__name__} fields {sorted(value)}")
        return hint(**{item.name: _decode(value[item.name], hints[item.name]) for item in fields(hint)})
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        return _decode(value, next(arg for arg in args if arg is not type(None)))
    if origin is dict:
        return {_decode(key, args[0]): _decode(item, args[1]) for key, item in value}
    if origin is tuple:
        return tuple(_decode(item, args[0]) for item in value)
    if hint is datetime:
        return datetime.fromisoformat(value)
    if hint is date:
        return date.fromisoformat(value)
    if hint is float:
        return float(value)  # JSON may write 3.0 as 3
    if hint in (int, str) and not isinstance(value, hint):
        raise TypeError(f"{value!r} is not {hint.__name__}")
    return value


# --- reading and writing -------------------------------------------------------------------------------

def fresh_snapshot(session: Session, *, ward_slug: Optional[str], months: int, now: datetime,
                   max_age: timedelta = FRESH_FOR) -> Optional[PublicFigures]:
    """The page's snapshot if it was counted at most `max_age` before `now`, else None. One counted after
    `now` (another process's clock a little ahead) is None too: its figures belong to a later moment, and
    counting inline is always right. So is one written by code of another layout."""
    row = session.execute(
        select(PublicSnapshot.computed_at, PublicSnapshot.figures)
        .where(PublicSnapshot.ward_slug == _key(ward_slug), PublicSnapshot.months == months)
    ).one_or_none()
    if row is None or not now - max_age <= row.computed_at <= now:
        return None
    try:
        return from_json(row.figures)
    except ValueError:
        log.info("public snapshot of %s in another layout: counting inline", ward_slug or "the borough")
        return None


def store_snapshot(session: Session, *, figures: PublicFigures, months: int) -> None:
    """Keep the figures as their page's snapshot, counted at figures.counted_at, unless a later count is
    kept already (a slow count finishing after a newer one never replaces it). Does not commit."""
    dialect = session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    values = {"ward_slug": _key(figures.ward_slug), "months": months, "computed_at": figures.counted_at,
              "figures": to_json(figures)}
    statement = insert(PublicSnapshot).values(**values)
    session.execute(statement.on_conflict_do_update(
        index_elements=[PublicSnapshot.ward_slug, PublicSnapshot.months],
        set_={"computed_at": statement.excluded.computed_at, "figures": statement.excluded.figures},
        where=PublicSnapshot.computed_at < statement.excluded.computed_at,
    ))


def refresh_snapshots(session: Session, *, now: datetime, months: int = 12,
                      older_than: Optional[timedelta] = None, budget_seconds: Optional[float] = None,
                      clock: Callable[[], float] = time.monotonic) -> int:
    """Count the borough's figures and every ward's afresh and keep them as snapshots; returns how many
    pages were counted.

    With `older_than`, only pages whose snapshot is missing or was counted at least that long before `now`.
    Several pages due are counted together (public_figures_for_all: one read of each table for all of them,
    about the borough's cost alone, where counting each page took about 21 times that at a million reports,
    bench/public.py); a single page due is counted alone. Should counting them together fail, they are
    counted one by one, the stalest first (the borough first among equals: most visitors start there), so
    one page that cannot be counted does not keep the others stale; then, with `budget_seconds`, no further
    page is begun once that much time has gone (one page is always counted), and the next passes count the
    rest. Several workers share the pages rather than each counting them: which are due is read from the
    snapshots.

    Unlike other storage functions this commits, once per page: one transaction per page keeps each
    snapshot row locked for a moment only, and a slower count finishing after a newer one never replaces it
    (store_snapshot). The counting reads in a session of its own that takes no write lock on SQLite
    (new_read_session), so writers (residents' reports, the outbox) never wait for it; `session` only
    writes. Every page is stamped `now`, although it may read newer data: a snapshot may look older than it
    is, never younger, so none is served past its 60 seconds."""
    started = clock()
    engine = session.get_bind()
    with new_read_session(engine) as reading:
        pages = _pages(reading, now=now, months=months, older_than=older_than)
    if len(pages) > 1:
        try:
            with new_read_session(engine) as reading:
                every_page = public_figures_for_all(reading, now=now, months=months)
        except Exception:
            log.exception("could not count the public pages together: counting them one by one")
        else:
            # A ward added since the list was read waits for the next pass; one removed is left out.
            kept = 0
            for ward_slug in pages:
                if ward_slug in every_page:
                    kept += _keep(session, ward_slug=ward_slug, months=months, count=lambda: every_page[ward_slug])
            return kept
    counted = 0
    for ward_slug in pages:
        if budget_seconds is not None and counted and clock() - started >= budget_seconds:
            break
        counted += _keep(session, ward_slug=ward_slug, months=months,
                         count=lambda: _count_one(engine, ward_slug=ward_slug, now=now, months=months))
    return counted


def _count_one(engine, *, ward_slug: Optional[str], now: datetime, months: int) -> PublicFigures:
    with new_read_session(engine) as reading:
        return public_figures(reading, ward_slug=ward_slug, now=now, months=months)


def _keep(session: Session, *, ward_slug: Optional[str], months: int, count: Callable[[], PublicFigures]) -> bool:
    """Count one page (`count`) and keep it as its snapshot, in a transaction of its own; whether it was."""
    try:
        store_snapshot(session, figures=count(), months=months)
        session.commit()
    except LookupError:  # a ward removed since the list was read
        return False
    except Exception:
        # One page that cannot be counted or kept must not keep the others stale (it would stay the stalest
        # and come first every pass); its visitors count inline, and see the same error if it is a bug.
        log.exception("could not count the public figures of %s", ward_slug or "the borough")
        session.rollback()
        return False
    return True


def _pages(session: Session, *, now: datetime, months: int, older_than: Optional[timedelta]) -> list[Optional[str]]:
    """The borough (None) and the wards' slugs, in the order to count them: all of them, borough first,
    without `older_than`; else those due, the stalest first."""
    pages = [None, *session.execute(select(Ward.slug).order_by(Ward.name)).scalars()]
    if older_than is None:
        return pages
    counted_at = dict(session.execute(select(PublicSnapshot.ward_slug, PublicSnapshot.computed_at)
                                      .where(PublicSnapshot.months == months)).all())
    # A snapshot from later than `now` (a clock set back) is due too: it would never be served.
    due = [page for page in pages
           if (at := counted_at.get(_key(page))) is None or at <= now - older_than or at > now]
    never = datetime.min.replace(tzinfo=now.tzinfo)
    return sorted(due, key=lambda page: counted_at.get(_key(page), never))  # stable: borough, then by name


def _key(ward_slug: Optional[str]) -> str:
    return BOROUGH if ward_slug is None else ward_slug
