"""Wards, agencies and category routing: the reference data the conversations offer."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import select
from sqlmodel import Session

from storage.models import Agency, CategoryRoute, Ward
from storage.reports import UnknownChoice


def list_wards(session: Session) -> list[Ward]:
    return list(session.execute(select(Ward).order_by(Ward.name)).scalars())


def ward_id(session: Session, *, slug: str) -> int:
    """The id of the ward a directory entry names by slug; UnknownChoice for a slug no ward has."""
    found = session.execute(select(Ward.id).where(Ward.slug == slug)).scalar_one_or_none()
    if found is None:
        raise UnknownChoice(f"unknown ward {slug!r}")
    return found


def ward_slug(session: Session, *, ward_id: Optional[int]) -> Optional[str]:
    """The slug of a directory entry's ward, or None for an entry that serves the whole borough."""
    if ward_id is None:
        return None
    return session.execute(select(Ward.slug).where(Ward.id == ward_id)).scalar_one()


def list_agencies_offered_to_residents(session: Session) -> list[Agency]:
    query = select(Agency).where(Agency.active, Agency.offered_to_residents).order_by(Agency.id)
    return list(session.execute(query).scalars())


def default_agencies_by_category(session: Session) -> dict[str, tuple[str, ...]]:
    query = select(CategoryRoute.category, Agency.slug).join(Agency, Agency.id == CategoryRoute.agency_id)
    routes: dict[str, list[str]] = {}
    for category, slug in session.execute(query):
        routes.setdefault(category, []).append(slug)
    return {category: tuple(slugs) for category, slugs in routes.items()}
