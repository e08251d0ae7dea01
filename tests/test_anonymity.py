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
                    dict(choice="cat:unsafe_place"), dict(text=PLACE), dict(choice="when:now"), dict(text=DESCRIPTION),
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
    # The conversation keeps its language and nothing of the report.
    assert reference not in repr(conversation.state) and "marker" not in repr(conversation.state)
    assert set(conversation.state) <= {"lang", "flow", "step", "misses", "last_seen"}
    # No time finer than the hour on the report side.
    assert (report.created_at.minute, report.created_at.second, report.created_at.microsecond) == (0, 0, 0)
    # No row outside the conversation tables carries the contact's id or hash next to the report.
    report_tables = {name: rows for name, rows in dump.items() if name.startswith("report")}
    assert contact.address_hash not in repr(report_tables)

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert reference in logged  # the reference is the one thing a log may carry
    for secret in (chat.session_id, contact.address_hash, "marker-7f3c9", "marker-place-41b2"):
        assert secret not in logged


def test_a_private_report_keeps_a_sealed_link_to_the_contact(client, database_url):
    chat, reference = _report(client, "private")
    engine = make_engine(database_url)
    with new_session(engine) as session:
        report = session.execute(select(Report).where(Report.reference == reference)).scalar_one()
        link = session.execute(select(ReportLink).where(ReportLink.report_id == report.id)).scalar_one()
        contact = session.get(Contact, link.contact_id)
    engine.dispose()
    assert contact.channel == "webchat"
    assert chat.session_id not in repr(dump_every_table(database_url))  # stored only as a keyed hash
