"""The "get help" directory (recs 3, 5-7): local and national services residents can turn to for support.

Staff keep it current (`safer-homes services add|edit|remove|check`, or /staff/services); residents ask the
bot for help by kind of support, near them or anywhere. Each service carries the day staff last confirmed
its details (`checked_on`): residents see the month, staff see first what has gone unchecked for
CHECK_AFTER_MONTHS.
"""
from __future__ import annotations

import calendar
from datetime import date, datetime
from typing import Iterable, Mapping, Optional
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlmodel import Session

from flows.i18n import DEFAULT_LANGUAGE, LANGUAGES
from storage import places
from storage.targets import london_today
from storage.models import HELP_CATEGORIES, HELP_SPOKEN_LANGUAGES, SPACE_COSTS, HelpService, Ward

# A service's details go stale: numbers change, drop-ins close. Six months unchecked and staff are asked.
CHECK_AFTER_MONTHS = 6

MAX_NAME_LENGTH = 200
MAX_OFFER_LENGTH = 500
MAX_PHONE_LENGTH = 64
MAX_WEBSITE_LENGTH = 300
MAX_ADDRESS_LENGTH = 300
MAX_HOURS_LENGTH = 300


class HelpServiceRefused(ValueError):
    """A value staff gave that the directory cannot take; the message is for the command line, `problem` (and
    `field`, `limit`) for a page to say it in the reader's language."""

    def __init__(self, message: str, *, problem: str, field: Optional[str] = None, limit: Optional[int] = None):
        super().__init__(message)
        self.problem, self.field, self.limit = problem, field, limit


def london_day(moment: datetime) -> date:
    """The London calendar day of a moment: what staff mean by "checked today"."""
    return london_today(moment)


def add_help_service(
    session: Session, *, name: str, categories: Iterable[str], offer: str, now: datetime,
    checked_on: Optional[date] = None, offers: Optional[Mapping[str, str]] = None, phone: Optional[str] = None,
    website: Optional[str] = None, address: Optional[str] = None, ward_slug: Optional[str] = None,
    opening_hours: Optional[str] = None, cost: str = "free", languages: Iterable[str] = (),
) -> HelpService:
    """Add a service; `checked_on` defaults to today (whoever adds it has just confirmed it).

    Refuses a missing name, category or offer, an unknown category, cost, spoken language or ward, a
    website that is not an http(s) address, a service with no way to reach it (phone, website or address),
    and text over its limit."""
    service = HelpService(created_at=now, updated_at=now, checked_on=checked_on or london_day(now))
    _apply(session, service, name=name, categories=categories, offer=offer, offers=offers or {}, phone=phone,
           website=website, address=address, ward_slug=ward_slug, opening_hours=opening_hours, cost=cost,
           languages=languages, checked_on=checked_on or london_day(now), now=now)
    session.add(service)
    session.flush()
    return service


def update_help_service(
    session: Session, *, service_id: int, now: datetime, name: Optional[str] = None,
    categories: Optional[Iterable[str]] = None, offer: Optional[str] = None,
    offers: Optional[Mapping[str, str]] = None, phone: Optional[str] = None, website: Optional[str] = None,
    address: Optional[str] = None, ward_slug: Optional[str] = None, opening_hours: Optional[str] = None,
    cost: Optional[str] = None, languages: Optional[Iterable[str]] = None, checked_on: Optional[date] = None,
) -> HelpService:
    """Change what staff give; None leaves a field as it is, "" clears an optional one (an empty `offers`
    or `languages` clears them all). Editing is not checking: `checked_on` changes only when given (or
    with mark_checked). Everything is checked before anything changes."""
    service = _get(session, service_id)
    _apply(
        session, service,
        name=service.name if name is None else name,
        categories=service.categories if categories is None else categories,
        offer=service.offer if offer is None else offer,
        offers=service.offers if offers is None else offers,
        phone=service.phone if phone is None else phone,
        website=service.website if website is None else website,
        address=service.address if address is None else address,
        ward_slug=places.ward_slug(session, ward_id=service.ward_id) if ward_slug is None else ward_slug,
        opening_hours=service.opening_hours if opening_hours is None else opening_hours,
        cost=service.cost if cost is None else cost,
        languages=service.languages if languages is None else languages,
        checked_on=service.checked_on if checked_on is None else checked_on,
        now=now,
    )
    service.updated_at = now
    session.flush()
    return service


def mark_checked(session: Session, *, service_id: int, now: datetime) -> HelpService:
    """Staff confirmed the service's details today (London day)."""
    service = _get(session, service_id)
    service.checked_on = london_day(now)
    service.updated_at = now
    session.flush()
    return service


def remove_help_service(session: Session, *, service_id: int) -> None:
    """Take a service out of the directory (nothing else refers to it)."""
    session.delete(_get(session, service_id))
    session.flush()


def get_help_service(session: Session, *, service_id: int) -> tuple[HelpService, Optional[str]]:
    """One service and its ward's slug (None: borough-wide); LookupError if there is none."""
    service = _get(session, service_id)
    return service, places.ward_slug(session, ward_id=service.ward_id)


def list_help_services(
    session: Session, *, category: Optional[str] = None, ward_slug: Optional[str] = None,
    near_ward_first: bool = False,
) -> list[tuple[HelpService, Optional[str]]]:
    """Services with their ward's name, by name.

    `category` keeps one kind of support (an unknown one is refused). `ward_slug` keeps that ward's services
    and the borough-wide ones (which serve every ward), the ward's own first when `near_ward_first`; an
    unknown slug is refused, not answered with an empty list.
    """
    if category is not None:
        _check_categories((category,))
    query = select(HelpService, Ward.name).outerjoin(Ward, Ward.id == HelpService.ward_id)
    ward_id = None
    if ward_slug is not None:
        ward_id = places.ward_id(session, slug=ward_slug)
        query = query.where((HelpService.ward_id == ward_id) | HelpService.ward_id.is_(None))
    query = query.order_by(HelpService.name, HelpService.id)
    # Categories are a JSON list; the directory is small, so they are filtered here rather than with each
    # backend's own JSON operators.
    found = [(service, ward_name) for service, ward_name in session.execute(query).all()
             if category is None or category in (service.categories or ())]
    if near_ward_first and ward_id is not None:
        found.sort(key=lambda row: row[0].ward_id != ward_id)  # stable: by name within each group
    return found


def needs_checking(service: HelpService, *, today: date) -> bool:
    """Whether staff last confirmed the service CHECK_AFTER_MONTHS or more ago."""
    return service.checked_on <= months_before(today, CHECK_AFTER_MONTHS)


def list_for_staff(
    session: Session, *, today: date, category: Optional[str] = None,
) -> list[tuple[HelpService, Optional[str], bool]]:
    """Every service (of one kind, if given) with its ward's name and whether it needs checking: those first,
    the longest unchecked first; then the rest by name."""
    rows = [(service, ward_name, needs_checking(service, today=today))
            for service, ward_name in list_help_services(session, category=category)]
    stale = sorted((row for row in rows if row[2]), key=lambda row: (row[0].checked_on, row[0].name))
    return stale + [row for row in rows if not row[2]]


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (the month's last day when it is shorter)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _apply(
    session: Session, service: HelpService, *, name: str, categories: Iterable[str], offer: str,
    offers: Mapping[str, str], phone: Optional[str], website: Optional[str], address: Optional[str],
    ward_slug: Optional[str], opening_hours: Optional[str], cost: str, languages: Iterable[str],
    checked_on: date, now: datetime,
) -> None:
    """Check every value, then set them all, so a refused change leaves the service as it was."""
    name = _text(name, "name", MAX_NAME_LENGTH, required=True)
    categories = _ordered({category.strip() for category in categories if category.strip()}, HELP_CATEGORIES)
    if not categories:
        raise HelpServiceRefused(f"give at least one category: {', '.join(HELP_CATEGORIES)}",
                                 problem="missing", field="categories")
    offer = _text(offer, "offer", MAX_OFFER_LENGTH, required=True)
    offers = _offers(offers)
    phone = _text(phone, "phone", MAX_PHONE_LENGTH)
    website = _website(website)
    address = _text(address, "address", MAX_ADDRESS_LENGTH)
    if not (phone or website or address):
        raise HelpServiceRefused("give a phone number, a website or an address: residents need a way to reach it",
                                 problem="no_contact")
    opening_hours = _text(opening_hours, "hours", MAX_HOURS_LENGTH)
    if cost not in SPACE_COSTS:
        raise HelpServiceRefused(f"unknown cost {cost}; known: {', '.join(SPACE_COSTS)}", problem="unknown",
                                 field="cost")
    languages = _ordered({code.strip() for code in languages if code.strip()}, HELP_SPOKEN_LANGUAGES, "languages")
    if checked_on > london_day(now):
        raise HelpServiceRefused("checked_on cannot be in the future", problem="future", field="checked_on")
    ward_id = places.ward_id(session, slug=ward_slug) if ward_slug else None
    service.name, service.categories, service.offer, service.offers = name, list(categories), offer, offers
    service.phone, service.website, service.address, service.ward_id = phone, website, address, ward_id
    service.opening_hours, service.cost, service.languages = opening_hours, cost, list(languages)
    service.checked_on = checked_on


def _ordered(given: set[str], known: tuple[str, ...], label: str = "categories") -> tuple[str, ...]:
    unknown = given - set(known)
    if unknown:
        raise HelpServiceRefused(f"unknown {label} {', '.join(sorted(unknown))}; known: {', '.join(known)}",
                                 problem="unknown", field=label)
    return tuple(item for item in known if item in given)


def _offers(offers: Mapping[str, str]) -> dict[str, str]:
    """Per-language versions of "what it offers", keyed by the codes the bot writes in (flows/i18n.py): empty
    ones dropped; English refused (it is `offer`), and so is any other code, which no resident would ever be
    shown ("zh" for zh-Hans, "bn-BD" for bn)."""
    written_in = [language.code for language in LANGUAGES if language.code != DEFAULT_LANGUAGE]
    cleaned = {}
    for code, text in offers.items():
        code = (code or "").strip()
        if code not in written_in:
            raise HelpServiceRefused(f"not a language code for a translated offer: {code!r}; known: "
                                     f"{', '.join(written_in)}", problem="unknown", field="offers")
        text = _text(text, f"offer in {code}", MAX_OFFER_LENGTH, field="offers")
        if text:
            cleaned[code] = text
    return cleaned


def _website(value: Optional[str]) -> Optional[str]:
    website = _text(value, "website", MAX_WEBSITE_LENGTH)
    if website is None:
        return None
    if " " in website or urlsplit(website).scheme not in ("http", "https") or not urlsplit(website).netloc:
        raise HelpServiceRefused(f"the website must be an address starting with https:// (or http://), not {website!r}",
                                 problem="website", field="website")
    return website


def _text(value: Optional[str], label: str, limit: int, *, required: bool = False,
          field: Optional[str] = None) -> Optional[str]:
    """Spaces collapsed; None for nothing. `field` is the form field a page names (the label's first word)."""
    field = field or label.split()[0]
    value = " ".join((value or "").split())
    if required and not value:
        raise HelpServiceRefused(f"the {label} must not be empty", problem="missing", field=field)
    if len(value) > limit:
        raise HelpServiceRefused(f"the {label} must be at most {limit} characters", problem="too_long", field=field,
                                 limit=limit)
    return value or None


def _check_categories(categories: tuple[str, ...]) -> None:
    _ordered(set(categories), HELP_CATEGORIES)


def _get(session: Session, service_id: int) -> HelpService:
    service = session.get(HelpService, service_id)
    if service is None:
        raise LookupError(f"there is no help service {service_id}")
    return service
