"""Reference data every installation starts with: the 20 wards, the agencies and category routing (and,
for a new installation to show, a few demo community spaces and events).

Rows, not code: an admin edits agencies (names, targets, whether residents are offered them) in the
database, and re-running the seed adds only what is missing, never overwrites an edit.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Callable

from sqlalchemy import select
from sqlmodel import Session

from storage import spaces
from storage.models import Agency, CategoryRoute, Ward

WARD_NAMES = (
    "Bethnal Green East", "Bethnal Green West", "Blackwall & Cubitt Town", "Bow East", "Bow West",
    "Bromley North", "Bromley South", "Canary Wharf", "Island Gardens", "Lansbury", "Limehouse",
    "Mile End", "Poplar", "Shadwell", "Spitalfields & Banglatown", "St Dunstan's",
    "St Katharine's & Wapping", "Stepney Green", "Weavers", "Whitechapel",
)

# Names in Bengali and Somali are drafts for community review (docs/translations.md).
AGENCIES = (
    dict(
        slug="council",
        kind="council",
        target_working_days=2,
        names={
            "en": "Tower Hamlets Council ASB team",
            "bn": "টাওয়ার হ্যামলেটস কাউন্সিলের অসামাজিক আচরণ (ASB) টিম",
            "so": "Kooxda ASB ee Golaha Tower Hamlets",
            "ur": "ٹاور ہیملٹس کونسل کی اینٹی سوشل بیہیویئر (ASB) ٹیم",
            "ar": "فريق السلوك المعادي للمجتمع (ASB) في مجلس تاور هاملتس",
            "zh-Hans": "陶尔哈姆莱茨区议会反社会行为（ASB）小组",
            "zh-Hant": "陶爾哈姆萊茨區議會反社會行為（ASB）小組",
            "pl": "Zespół ds. zachowań antyspołecznych (ASB) Rady Tower Hamlets",
            "lt": "Tower Hamlets tarybos antisocialaus elgesio (ASB) komanda",
            "es": "Equipo de conducta antisocial (ASB) del Ayuntamiento de Tower Hamlets",
            "pt": "Equipa de comportamento antissocial (ASB) da Câmara de Tower Hamlets",
            "it": "Squadra per i comportamenti antisociali (ASB) del Comune di Tower Hamlets",
            "fr": "Équipe comportements antisociaux (ASB) de la mairie de Tower Hamlets",
            "tr": "Tower Hamlets Belediyesi Antisosyal Davranış (ASB) Ekibi",
        },
    ),
    dict(
        slug="housing",
        kind="housing",
        target_working_days=5,
        names={
            "en": "Your housing provider",
            "bn": "আপনার হাউজিং প্রোভাইডার",
            "so": "Bixiyaha gurigaaga",
            "ur": "آپ کا ہاؤسنگ پرووائیڈر",
            "ar": "مزوّد السكن الخاص بك",
            "zh-Hans": "您的住房提供方",
            "zh-Hant": "您的房屋提供者",
            "pl": "Twój dostawca mieszkania",
            "lt": "Jūsų būsto tiekėjas",
            "es": "Su proveedor de vivienda",
            "pt": "A sua entidade de habitação social",
            "it": "Il suo ente per la casa",
            "fr": "Votre bailleur social",
            "tr": "Konut sağlayıcınız",
        },
    ),
    dict(
        slug="police",
        kind="police",
        target_working_days=5,
        names={
            "en": "Police (Safer Neighbourhoods team)",
            "bn": "পুলিশ (সেফার নেইবারহুডস টিম)",
            "so": "Booliska (kooxda Safer Neighbourhoods)",
            "ur": "پولیس (سیفر نیبر ہڈز ٹیم)",
            "ar": "الشرطة (فريق Safer Neighbourhoods)",
            "zh-Hans": "警察（Safer Neighbourhoods 社区安全小组）",
            "zh-Hant": "警察（Safer Neighbourhoods 社區安全小組）",
            "pl": "Policja (zespół Safer Neighbourhoods)",
            "lt": "Policija (Safer Neighbourhoods komanda)",
            "es": "Policía (equipo Safer Neighbourhoods)",
            "pt": "Polícia (equipa Safer Neighbourhoods)",
            "it": "Polizia (squadra Safer Neighbourhoods)",
            "fr": "Police (équipe Safer Neighbourhoods)",
            "tr": "Polis (Safer Neighbourhoods ekibi)",
        },
    ),
)

# Housing providers working in the borough, each its own agency for staff, not offered to residents
# directly (most residents are unsure of their landlord's name; "Your housing provider" triages).
HOUSING_PROVIDERS = (
    "Poplar HARCA", "Clarion Housing", "Peabody", "Eastend Homes", "Southern Housing",
    "Tower Hamlets Community Housing", "Gateway Housing Association", "Spitalfields Housing Association",
    "Sanctuary Housing", "Tower Hamlets Council Housing",
)

CATEGORIES = ("asb", "drugs", "harassment", "hate", "unsafe_place", "noise", "other")
# Every category goes to the council and housing triage by default; never to the police by default.
DEFAULT_ROUTES = {category: ("council", "housing") for category in CATEGORIES}


def slugify(name: str) -> str:
    """Lowercase ASCII with "-" between words; "&" and apostrophes dropped (design.md)."""
    words = re.sub(r"[&'’]", "", name.lower())
    return re.sub(r"[^a-z0-9]+", "-", words).strip("-")


def seed_reference_data(session: Session) -> None:
    existing_wards = set(session.execute(select(Ward.slug)).scalars())
    for name in WARD_NAMES:
        if slugify(name) not in existing_wards:
            session.add(Ward(slug=slugify(name), name=name))

    existing_agencies = {agency.slug: agency for agency in session.execute(select(Agency)).scalars()}
    for agency in AGENCIES:
        if agency["slug"] not in existing_agencies:
            session.add(Agency(**agency))
        else:
            # A language added since this database was seeded gets its name; a name staff changed stays.
            kept = existing_agencies[agency["slug"]]
            missing = {code: name for code, name in agency["names"].items() if code not in kept.names}
            if missing:
                kept.names = {**kept.names, **missing}
    for name in HOUSING_PROVIDERS:
        if slugify(name) not in existing_agencies:
            session.add(
                Agency(slug=slugify(name), kind="housing", names={"en": name}, offered_to_residents=False)
            )
    session.flush()

    agency_ids = dict(session.execute(select(Agency.slug, Agency.id)).all())
    existing_routes = set(session.execute(select(CategoryRoute.category, CategoryRoute.agency_id)).all())
    for category, slugs in DEFAULT_ROUTES.items():
        for slug in slugs:
            if (category, agency_ids[slug]) not in existing_routes:
                session.add(CategoryRoute(category=category, agency_id=agency_ids[slug]))
    session.flush()


# Demo entries for the community spaces directory (rec 1), so a new installation shows residents what the
# bot answers. Invented places marked "(demo)", with no real phone numbers: staff replace them with
# `safer-homes spaces add|edit|remove`.
DEMO_SPACES = (
    dict(name="Old Montague Street Community Centre (demo)", address="1 Example Row, London E1 0AA",
         ward_slug="spitalfields-banglatown", cost="free", booking="Demo listing: ask at reception",
         opening_hours="Mon-Sat 9:00-21:00", features=("step_free", "accessible_toilet", "kitchen", "childcare_room")),
    dict(name="Whitechapel library, community room (demo)", address="2 Example Road, London E1 0AB",
         ward_slug="whitechapel", cost="free", booking="Demo listing: book at the library desk",
         opening_hours="Mon-Fri 10:00-20:00, Sat 10:00-17:00", features=("step_free", "hearing_loop", "accessible_toilet")),
    dict(name="Shadwell mosque community hall (demo)", address="3 Example Street, London E1 0AC",
         ward_slug="shadwell", cost="affordable", booking="Demo listing: ask the hall committee after prayers",
         opening_hours="Daily 10:00-20:00, not at Friday prayers", features=("kitchen", "prayer_space", "childcare_room")),
    dict(name="Bow tenants' and residents' hall (demo)", address="4 Example Estate, London E3 0AD",
         ward_slug="bow-east", cost="free", booking="Demo listing: ask the TRA secretary",
         opening_hours="Evenings and weekends", features=("step_free", "kitchen")),
    dict(name="Poplar community centre, main hall (demo)", address="5 Example Lane, London E14 0AE",
         ward_slug="poplar", cost="paid", booking="Demo listing: book online two weeks ahead",
         opening_hours="Mon-Sun 8:00-22:00",
         features=("step_free", "hearing_loop", "accessible_toilet", "kitchen", "childcare_room")),
)


def seed_demo_spaces(session: Session, *, now: datetime) -> None:
    """Add the demo spaces that are missing (by name), for a new installation to show (`demo-data`)."""
    existing = {space.name for space, _ in spaces.list_spaces(session)}
    for space in DEMO_SPACES:
        if space["name"] not in existing:
            spaces.add_space(session, now=now, **space)


# Real, well-known services with their public details as published (checked_on: the day they were last
# confirmed against each service's own website). Demo data: an operator confirms each before launch and
# adds the borough's own services (docs/staff.md, "Keeping the get-help directory current"). No local phone
# number is given that was not confirmed.
DEMO_HELP_SERVICES = (
    dict(name="Samaritans", categories=("mental_health",), phone="116 123", website="https://www.samaritans.org",
         offer="Someone to talk to about anything that is troubling you, in confidence. Free from any phone.",
         opening_hours="24 hours, every day", languages=("en",)),
    dict(name="Childline", categories=("young_people",), phone="0800 1111", website="https://www.childline.org.uk",
         offer="Free, private support for children and young people under 19, about anything.", languages=("en",)),
    dict(name="Victim Support", categories=("victims",), phone="0808 168 9111",
         website="https://www.victimsupport.org.uk",
         offer="Free, confidential support for anyone affected by crime, whether or not it was reported to the police.",
         opening_hours="24 hours, every day", languages=("en",)),
    dict(name="National Domestic Abuse Helpline", categories=("victims", "families"), phone="0808 2000 247",
         website="https://www.nationaldahelpline.org.uk",
         offer="Free, confidential support for anyone experiencing domestic abuse, and for those worried about someone.",
         opening_hours="24 hours, every day", languages=("en",)),
    dict(name="Shelter", categories=("housing",), phone="0808 800 4444", website="https://england.shelter.org.uk",
         offer="Free advice on housing, eviction and homelessness.", languages=("en",)),
    dict(name="FRANK", categories=("drugs_alcohol", "young_people"), phone="0300 123 6600",
         website="https://www.talktofrank.com",
         offer="Honest, confidential information and advice about drugs, without judgement.",
         opening_hours="24 hours, every day", languages=("en",)),
    dict(name="NHS 111", categories=("mental_health", "families"), phone="111", website="https://111.nhs.uk",
         offer="Urgent medical help and advice, including for mental health. Free from any phone.",
         opening_hours="24 hours, every day", languages=("en",)),
    dict(name="Citizens Advice", categories=("money", "housing"), phone="0800 144 8848",
         website="https://www.citizensadvice.org.uk",
         offer="Free, confidential advice on money, debt, benefits, housing and your rights.", languages=("en",)),
    dict(name="Idea Store Whitechapel", categories=("online_wifi", "online_devices", "online_skills"),
         address="321 Whitechapel Road, London E1 1BU", ward_slug="whitechapel",
         website="https://www.ideastore.co.uk",
         offer="Free Wi-Fi and computers to use, and help to get online and learn digital skills."),
    dict(name="Idea Store Canary Wharf", categories=("online_wifi", "online_devices", "online_skills"),
         address="Churchill Place, London E14 5RB", ward_slug="canary-wharf", website="https://www.ideastore.co.uk",
         offer="Free Wi-Fi and computers to use, and help to get online and learn digital skills."),
    dict(name="Idea Store Bow", categories=("online_wifi", "online_devices", "online_skills"),
         address="1 Gladstone Place, Roman Road, London E3 5ES", ward_slug="bow-west",
         website="https://www.ideastore.co.uk",
         offer="Free Wi-Fi and computers to use, and help to get online and learn digital skills."),
    dict(name="Idea Store Chrisp Street", categories=("online_wifi", "online_devices", "online_skills"),
         address="1 Vesey Path, East India Dock Road, London E14 6BT", ward_slug="lansbury",
         website="https://www.ideastore.co.uk",
         offer="Free Wi-Fi and computers to use, and help to get online and learn digital skills."),
)


def seed_demo_help_services(session: Session, *, now: datetime) -> None:
    """Add the demo help services that are missing (by name), for a new installation to show (`demo-data`)."""
    from storage import help_services

    existing = {service.name for service, _ in help_services.list_help_services(session)}
    for service in DEMO_HELP_SERVICES:
        if service["name"] not in existing:
            help_services.add_help_service(session, now=now, **service)


def prepare_database(database_url: str) -> None:
    """Migrate and seed, as `safer-homes db upgrade` then `demo-data` do (tests and benchmarks use it)."""
    from storage import migrate
    from storage.database import make_engine, new_session

    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    with new_session(engine) as session:
        seed_reference_data(session)
        session.commit()
    engine.dispose()


def postgres_reachable(database_url: str) -> bool:
    """Whether a PostgreSQL answers at `database_url` within a few seconds (tests and benchmarks run on it
    as well as SQLite when it does)."""
    from sqlalchemy import create_engine, text

    try:
        probe = create_engine(database_url, connect_args={"connect_timeout": 3})
        with probe.connect() as connection:
            connection.execute(text("select 1"))
        probe.dispose()
        return True
    except Exception:
        return False


def postgres_schema_of_its_own(database_url: str, *, prefix: str) -> tuple[str, Callable[[], None]]:
    """A new, empty schema on the PostgreSQL at `database_url`, so runs at the same time never collide (tests
    and benchmarks use it): a URL whose connections use only that schema, and how to drop it with all in it."""
    import os
    import secrets

    from sqlalchemy import create_engine, make_url, text

    schema = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(database_url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()

    return url, drop


# Demo events, so a new installation shows residents what the events menu offers and organisers what
# `events show` counts. Dates are relative to the day the demo data is added (London time); titles in
# Bengali and Somali are the developers' drafts, like the catalogues, so they carry no machine mark.
DEMO_EVENTS = (
    dict(kind="ward_panel", days_ahead=10, at=(18, 30), hours=2, capacity=40,
         space="Old Montague Street Community Centre (demo)", ward_slug="spitalfields-banglatown",
         title="Spitalfields & Banglatown ward panel (demo)",
         titles={"bn": "স্পিটালফিল্ডস ও বাংলাটাউন ওয়ার্ড প্যানেল (ডেমো)",
                 "so": "Guddiga xaafadda Spitalfields & Banglatown (demo)"},
         description="Tell the police, the council and your housing provider what matters in your area, "
                     "and hear what they did since the last meeting.",
         offers={"interpreters": ["bn", "syl", "so"], "food": True, "childcare": True, "step_free": True},
         decision_makers=("Ward councillors", "Safer Neighbourhoods sergeant", "Council ASB team manager")),
    dict(kind="youth_led", days_ahead=14, at=(17, 0), hours=2, capacity=25,
         space="Whitechapel library, community room (demo)", ward_slug="whitechapel",
         title="Young people meet the decision-makers (demo)",
         titles={"bn": "তরুণরা সিদ্ধান্ত নেওয়া মানুষদের সাথে দেখা করুন (ডেমো)",
                 "so": "Dhallinyarada oo la kulma go'aan-gaarayaasha (demo)"},
         description="Run by young people from the borough: your questions, your agenda.",
         offers={"food": True, "travel_costs": True, "voucher": "£10 voucher for taking part"},
         decision_makers=("Cabinet Member for Community Safety",)),
    dict(kind="digital_skills", days_ahead=7, at=(11, 0), hours=2, capacity=12,
         space="Bow tenants' and residents' hall (demo)", ward_slug="bow-east",
         title="Digital skills drop-in: using your phone to report and get updates (demo)",
         titles={"bn": "ডিজিটাল দক্ষতা: ফোনে রিপোর্ট করা ও আপডেট পাওয়া (ডেমো)",
                 "so": "Xirfadaha dijitaalka: ka soo sheeg telefoonkaaga oo hel wararka cusub (demo)"},
         offers={"interpreters": ["bn", "so"], "step_free": True}, decision_makers=()),
)


def seed_demo_events(session: Session, *, now: datetime) -> None:
    """Add the demo events that are missing (by title), starting some days after `now` (`demo-data`)."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from storage import events
    from storage.models import Event

    london = ZoneInfo("Europe/London")
    existing = set(session.execute(select(Event.title)).scalars())
    space_ids = {space.name: space.id for space, _ in spaces.list_spaces(session)}
    for demo in DEMO_EVENTS:
        if demo["title"] in existing:
            continue
        day = (now.astimezone(london) + timedelta(days=demo["days_ahead"])).date()
        starts_at = datetime(day.year, day.month, day.day, *demo["at"], tzinfo=london)
        events.create_event(
            session, title=demo["title"], titles=demo["titles"], description=demo.get("description"),
            kind=demo["kind"], starts_at=starts_at, ends_at=starts_at + timedelta(hours=demo["hours"]),
            ward_slug=demo["ward_slug"], space_id=space_ids.get(demo["space"]), capacity=demo["capacity"],
            offers=demo["offers"], decision_makers=demo["decision_makers"], now=now,
        )
