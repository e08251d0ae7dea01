"""The "get help" directory on SQLite and PostgreSQL: add, edit, check, remove, list, and refusals."""
from datetime import date, datetime, timezone

import pytest

from storage import help_services
from storage.database import new_session
from storage.models import HelpService
from tests.helpers import dump_every_table

AT = datetime(2027, 1, 10, 23, 30, tzinfo=timezone.utc)  # 23:30 UTC on 10 January is still the 10th in London
SUMMER = datetime(2026, 7, 10, 23, 30, tzinfo=timezone.utc)  # 00:30 on 11 July in London (BST)


def _add(session, name="Helpline", **overrides):
    values = dict(name=name, categories=["money"], offer="Free advice on debt.", phone="0800 000 000", now=AT)
    values.update(overrides)
    return help_services.add_help_service(session, **values)


def test_a_service_is_stored_with_everything_staff_give_and_checked_today(engine):
    with new_session(engine) as session:
        service = _add(session, "  Weavers   advice  centre ", categories=["housing", " money "],
                       offer=" Advice on benefits,  debt and housing. ", offers={"bn": "সুবিধা ও ঋণ বিষয়ে পরামর্শ।", "so": " "},
                       website="https://example.org/advice", address="1 Example Row, E2", ward_slug="weavers",
                       opening_hours="Mon-Fri 10:00-16:00", cost="affordable", languages=["so", "bn", "en"])
        session.commit()
        service_id = service.id
    with new_session(engine) as session:
        service, ward_slug = help_services.get_help_service(session, service_id=service_id)
        assert (service.name, service.offer) == ("Weavers advice centre", "Advice on benefits, debt and housing.")
        assert service.categories == ["money", "housing"]  # in HELP_CATEGORIES order
        assert service.offers == {"bn": "সুবিধা ও ঋণ বিষয়ে পরামর্শ।"}  # an empty one is no translation
        assert service.languages == ["en", "bn", "so"]
        assert (ward_slug, service.cost, service.checked_on) == ("weavers", "affordable", date(2027, 1, 10))


def test_checked_today_is_the_london_day():
    assert help_services.london_day(SUMMER) == date(2026, 7, 11)
    assert help_services.london_day(AT) == date(2027, 1, 10)


@pytest.mark.parametrize(
    "overrides, message",
    [
        (dict(name="   "), "name must not be empty"),
        (dict(name="x" * 201), "name must be at most 200"),
        (dict(categories=[]), "give at least one category"),
        (dict(categories=["money", "crime"]), "unknown categories crime"),
        (dict(offer=""), "offer must not be empty"),
        (dict(offer="x" * 501), "offer must be at most 500"),
        (dict(offers={"bn": "x" * 501}), "offer in bn must be at most 500"),
        (dict(offers={"en": "Advice"}), "not a language code for a translated offer: 'en'"),
        (dict(offers={"b n!": "Advice"}), "not a language code"),
        # Stored under a code the bot never writes in, it would never be shown: Chinese is zh-Hans or zh-Hant.
        (dict(offers={"zh": "咨询"}), "not a language code for a translated offer: 'zh'; known: bn, so"),
        (dict(offers={"bn-BD": "পরামর্শ"}), "not a language code for a translated offer: 'bn-BD'"),
        (dict(phone=None), "give a phone number, a website or an address"),
        (dict(phone="1" * 65), "phone must be at most 64"),
        (dict(website="javascript:alert(1)"), "the website must be an address starting with https://"),
        (dict(website="example.org"), "the website must be an address starting with https://"),
        (dict(cost="cheap"), "unknown cost cheap"),
        (dict(languages=["bn", "klingon"]), "unknown languages klingon"),
        (dict(ward_slug="atlantis"), "unknown ward 'atlantis'"),
        (dict(checked_on=date(2027, 1, 11)), "checked_on cannot be in the future"),
    ],
)
def test_bad_input_is_refused_clearly_and_nothing_is_added(engine, database_url, overrides, message):
    before = dump_every_table(database_url)
    with new_session(engine) as session:
        with pytest.raises(ValueError, match=message):
            _add(session, **overrides)
        session.commit()
    assert dump_every_table(database_url) == before


def test_an_edit_changes_only_what_is_given_and_a_refused_one_changes_nothing(engine, database_url):
    with new_session(engine) as session:
        service_id = _add(session, ward_slug="weavers", languages=["bn"], offers={"so": "Talo"},
                          checked_on=date(2026, 3, 1)).id
        session.commit()
    with new_session(engine) as session:
        help_services.update_help_service(session, service_id=service_id, now=AT, phone="", website="https://a.example",
                                          ward_slug="", offers={})
        session.commit()
    with new_session(engine) as session:
        service, ward_slug = help_services.get_help_service(session, service_id=service_id)
        assert (service.phone, service.website, ward_slug, service.offers) == (None, "https://a.example", None, {})
        assert service.languages == ["bn"] and service.name == "Helpline"
        assert service.checked_on == date(2026, 3, 1)  # editing is not confirming
    before = dump_every_table(database_url)
    with new_session(engine) as session:
        with pytest.raises(ValueError, match="give a phone number, a website or an address"):
            help_services.update_help_service(session, service_id=service_id, now=AT, website="")
        with pytest.raises(LookupError, match="there is no help service 999"):
            help_services.update_help_service(session, service_id=999, now=AT, name="x")
        session.commit()
    assert dump_every_table(database_url) == before


def test_marking_checked_sets_the_london_day_and_removing_takes_it_out(engine):
    with new_session(engine) as session:
        service_id = _add(session, checked_on=date(2026, 1, 1)).id
        session.commit()
    with new_session(engine) as session:
        help_services.mark_checked(session, service_id=service_id, now=SUMMER)
        session.commit()
    with new_session(engine) as session:
        assert session.get(HelpService, service_id).checked_on == date(2026, 7, 11)
        help_services.remove_help_service(session, service_id=service_id)
        session.commit()
    with new_session(engine) as session:
        assert session.get(HelpService, service_id) is None
        with pytest.raises(LookupError):
            help_services.remove_help_service(session, service_id=service_id)
        with pytest.raises(LookupError):
            help_services.mark_checked(session, service_id=service_id, now=AT)


def test_a_ward_lists_its_own_first_then_the_boroughs_and_a_kind_keeps_only_its_own(engine):
    with new_session(engine) as session:
        _add(session, "Zeta local", ward_slug="weavers")
        _add(session, "Alpha national")
        _add(session, "Beta elsewhere", ward_slug="bow-east")
        _add(session, "Gamma local", ward_slug="weavers", categories=["housing"])
        session.commit()
    with new_session(engine) as session:
        names = lambda **kw: [service.name for service, _ in help_services.list_help_services(session, **kw)]
        assert names() == ["Alpha national", "Beta elsewhere", "Gamma local", "Zeta local"]
        assert names(category="money") == ["Alpha national", "Beta elsewhere", "Zeta local"]
        assert names(category="money", ward_slug="weavers") == ["Alpha national", "Zeta local"]
        assert names(category="money", ward_slug="weavers", near_ward_first=True) == ["Zeta local", "Alpha national"]
        assert names(category="victims") == []
        with pytest.raises(ValueError, match="unknown ward 'atlantis'"):
            names(ward_slug="atlantis")
        with pytest.raises(ValueError, match="unknown categories crime"):
            names(category="crime")


def test_staff_see_what_needs_checking_first_the_longest_unchecked_first(engine):
    with new_session(engine) as session:
        _add(session, "Recent", checked_on=date(2026, 12, 1))
        _add(session, "Just six months", checked_on=date(2026, 7, 10))
        _add(session, "A day short of six months", checked_on=date(2026, 7, 11))
        _add(session, "Ancient", checked_on=date(2025, 1, 1))
        session.commit()
    with new_session(engine) as session:
        rows = help_services.list_for_staff(session, today=date(2027, 1, 10))
        assert [(service.name, stale) for service, _, stale in rows] == [
            ("Ancient", True), ("Just six months", True), ("A day short of six months", False), ("Recent", False)]


@pytest.mark.parametrize("day, expected", [
    (date(2027, 1, 10), date(2026, 7, 10)),
    (date(2026, 8, 31), date(2026, 2, 28)),
    (date(2028, 8, 31), date(2028, 2, 29)),
    (date(2026, 12, 31), date(2026, 6, 30)),
])
def test_six_months_before_is_the_same_day_or_the_months_last(day, expected):
    assert help_services.months_before(day, 6) == expected
