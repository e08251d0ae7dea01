"""An anonymous report keeps no link to its sender: not in any table, not in the logs (design.md)."""
import logging
import re

from sqlalchemy import select

from storage.database import make_engine, new_session
from storage.models import Contact, Conversation, Report, ReportLink
from tests.helpers import WebChat, dump_every_table

DESCRIPTION = "marker-7f3c9: the lift is broken and people feel unsafe at night"
PLACE = "marker-place-41b2 Brick Lane"


def _report(client, privacy: str) -> tuple[WebChat, str]:
    chat = WebChat(client)
    for message in [dict(choice="start"), dict(choice="lang:so"), dict(choice="menu:report"), dict(choice="danger:no"),
                    dict(choice="cat:unsafe_place"), dict(text=PLACE), dict(choice="when:now"),
                    dict(choice="daypart:night"), dict(choice="self:woman_or_girl"), dict(text=DESCRIPTION),
                    dict(choice=f"privacy:{privacy}"), dict(choice="done"), dict(choice="confirm:yes")]:
        chat.send(**message)
    reference = re.search(r"TH-[0-9A-Z]{4}-[0-9A-Z]{4}", chat.text).group(0)
    return chat, reference


def test_no_table_and_no_log_line_links_an_anonymous_report_to_its_session(client, database_url, caplog):
    caplog.set_level(logging.DEBUG)
    chat, reference = _report(client, "anonymous")
    dump = dump_every_table(database_url)
    everything = repr(dump)
    assert chat.session_id not in everything

    engine = make_engine(database_url)
    with new_session(engine) as session:
        report = session.execute(select(Report).where(Report.reference == reference)).scalar_one()
        contact = session.execute(select(Contact)).scalar_one()
        conversation = session.execute(select(Conversation)).scalar_one()
        assert session.execute(select(ReportLink)).first() is None
    engine.dispose()
    # The conversation keeps its language and place in the menu, nothing of the report.
    assert reference not in repr(conversation.state) and "marker" not in repr(conversation.state)
    assert set(conversation.state) <= {"lang", "flow", "step", "misses", "last_seen"}
    # The report's times are to the hour; the conversation keeps the time of the turn before the one that
    # filed it (its last_seen too), so it holds no reading of that moment, and no time on the hour either,
    # which would mark it out from every other conversation (tests/test_anonymous_sender_times.py).
    on_the_hour = lambda moment: (moment.minute, moment.second, moment.microsecond) == (0, 0, 0)  # noqa: E731
    assert on_the_hour(report.created_at)
    assert not on_the_hour(conversation.updated_at)
    assert conversation.state["last_seen"] == conversation.updated_at.isoformat()
    # No row outside the conversation tables carries the contact's id or hash next to the report.
    report_tables = {name: rows for name, rows in dump.items() if name.startswith("report")}
    assert contact.address_hash not in repr(report_tables)

    # A log line carries an exact time, so an anonymous report is not logged at all, not even its reference.
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in (reference, chat.session_id, contact.address_hash, "marker-7f3c9", "marker-place-41b2"):
        assert secret not in logged


def test_a_private_report_keeps_a_sealed_link_to_the_contact(client, database_url, caplog):
    caplog.set_level(logging.INFO)
    chat, reference = _report(client, "private")
    assert reference in caplog.text  # private and named reports are logged by reference
    assert "marker" not in caplog.text
    engine = make_engine(database_url)
    with new_session(engine) as session:
        report = session.execute(select(Report).where(Report.reference == reference)).scalar_one()
        link = session.execute(select(ReportLink).where(ReportLink.report_id == report.id)).scalar_one()
        contact = session.get(Contact, link.contact_id)
    engine.dispose()
    assert contact.channel == "webchat"
    assert chat.session_id not in repr(dump_every_table(database_url))  # stored only as a keyed hash


def test_a_named_reporters_typed_name_is_kept_sealed(client, database_url):
    from bot.settings import Settings
    from storage.crypto import Sealer
    from tests.conftest import TEST_SECRET_KEY

    chat = WebChat(client)
    for message in [dict(choice="start"), dict(choice="lang:bn"), dict(choice="menu:report"), dict(choice="danger:no"),
                    dict(choice="cat:noise"), dict(choice="skip"), dict(choice="when:now"), dict(text="Loud music"),
                    dict(choice="privacy:named"), dict(text="Hodan Ali"), dict(choice="done"), dict(choice="confirm:yes")]:
        chat.send(**message)
    assert "Hodan Ali" not in repr(dump_every_table(database_url))
    engine = make_engine(database_url)
    with new_session(engine) as session:
        link = session.execute(select(ReportLink)).scalar_one()
    engine.dispose()
    assert Sealer(Settings(secret_key=TEST_SECRET_KEY).secret_key).open(link.reporter_name_sealed) == "Hodan Ali"


def test_nul_and_broken_unicode_never_make_a_report_impossible_to_save(client, database_url):
    """Over other channels such characters are dropped before storage (the web chat refuses them)."""
    import flows
    from bot.conversations import converse
    from storage.types import utcnow

    app = client.application
    engine, settings = app.extensions["safer_homes.engine"], app.extensions["safer_homes.settings"]

    def report(address, description):
        for message in [dict(choice="start"), dict(choice="lang:en"), dict(choice="menu:report"),
                        dict(choice="danger:no"), dict(choice="cat:noise"), dict(text="Bow \x00 Road"),
                        dict(choice="when:now"), dict(text=description), dict(choice="privacy:anonymous"),
                        dict(choice="done"), dict(choice="confirm:yes")]:
            converse(engine, settings, channel="webchat", address=address, inbound=flows.Inbound(**message), now=utcnow())

    report("a" * 20, "bad \x00 byte")
    report("b" * 20, "lone \ud800 surrogate")
    engine2 = make_engine(database_url)
    with new_session(engine2) as session:
        stored = session.execute(select(Report.location_text, Report.description).order_by(Report.id)).all()
    engine2.dispose()
    assert [tuple(row) for row in stored] == [("Bow  Road", "bad  byte"), ("Bow  Road", "lone ? surrogate")]
