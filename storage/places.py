"""Wards, agencies and category routing: the reference data the conversations offer."""
from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from storage.models import Agency, CategoryRoute, Ward


def list_wards(session: Session) -> list[Ward]:
    return list(session.execute(select(Ward).order_by(Ward.name)).scalars())


def list_agencies_offered_to_residents(session: Session) -> list[Agency]:
    query = select(Agency).where(Agency.active, Agency.offered_to_residents).order_by(Agency.id)
    return list(session.execute(query).scalars())


def default_agencies_by_category(session: Session) -> dict[str, tuple[str, ...]]:
    query = select(CategoryRoute.category, Agency.slug).join(Agency, Agency.id == CategoryRoute.agency_id)
    routes: dict[str, list[str]] = {}
    for category, slug in session.execute(query):
        routes.setdefault(category, []).append(slug)
    return {category: tuple(slugs) for category, slugs in routes.items()}
