"""Marker values sent through every channel (tests/privacy_journey.py) reach no log line, and no table column but
the ones listed in ALLOWED, each for its reason. On SQLite and PostgreSQL.

Logging is captured at DEBUG from the root logger (and from `bot`, which the app sets to INFO) while the whole
journey runs: the webhooks, the web chat, Open311, the staff pages, the worker delivering to the fake Telegram
and Twilio servers and its purges, and a worker pass eight days later whose purges delete the draft. The scrubbing filter is the one the app installs for itself
(webhook.create_app -> bot.log_scrubbing.install_log_scrubbing), so what is checked is what a production
handler would write. docs/privacy.md ("What is stored" and "Logs") points here: ALLOWED is the list of the
places a resident's own words may be kept, and nothing that identifies them is allowed anywhere.
"""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import MetaData

from bot.log_scrubbing import scrubbing_installed
from storage.database import make_engine
from tests import privacy_journey as journey
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.twilio_api import FakeTwilio
from tests.helpers import dump_every_table

REPORT_WORDS = {"Telegram report text", "WhatsApp report text", "SMS report text", "web chat report text",
                "Open311 description"}
REPORT_PLACES = {"WhatsApp place", "SMS place", "web chat place", "Open311 address"}

# (table, column) -> (the markers it may hold, why). Markers not listed for a column must not be in it; markers
# that identify a person (numbers, chat ids, session ids, names, Open311's person fields) are listed nowhere.
ALLOWED: dict[tuple[str, str], tuple[set[str], str]] = {
    ("report", "description"): (REPORT_WORDS, "the report's own words: what staff act on"),
    ("report", "location_text"): (REPORT_PLACES, "the place the resident typed for the report"),
    ("report", "latitude"): ({"Telegram latitude"}, "a location the resident shared for the report"),
    ("report", "longitude"): ({"Telegram longitude"}, "a location the resident shared for the report"),
    ("conversation", "state"): ({"web chat draft place", "web chat draft text"},
                                "a report part way through, until it is sent or dropped (draft retention); "
                                "a name typed in it is sealed"),
    ("outboxmessage", "payload"): (REPORT_WORDS | REPORT_PLACES | {"staff reply"},
                                   "a reply waiting to be sent (the summary repeats the report's words), or on "
                                   "WhatsApp until its delivery report; emptied once sent"),
    ("reportupdate", "public_message"): ({"staff reply"}, "the officer's reply, shown on the status check"),
    ("reportupdate", "internal_note"): ({"sorted comment"},
                                        "the report's history shows its agencies what the resident said about "
                                        "whether it was sorted"),
    ("sortedcheck", "comment"): ({"sorted comment"}, "the resident's words on whether it was sorted"),
    ("eventfeedback", "comment"): ({"feedback comment"}, "what a resident told the organisers, kept without who"),
    ("agendaitem", "text"): ({"next meeting topic", "web chat topic"},
                             "a topic a resident suggested for a meeting, for the organisers to approve"),
}


@pytest.fixture
def fakes():
    with FakeTelegramAPI(journey.BOT_TOKEN) as telegram, FakeTwilio(journey.ACCOUNT_SID, journey.AUTH_TOKEN) as twilio:
        yield telegram, twilio


def _where_found(database_url: str, markers: dict[str, str]) -> dict[tuple[str, str], set[str]]:
    """(table, column) -> the labels of the markers found in it, over every row of every table."""
    engine = make_engine(database_url)
    metadata = MetaData()
    metadata.reflect(engine)
    engine.dispose()
    found: dict[tuple[str, str], set[str]] = {}
    for table, rows in dump_every_table(database_url).items():
        columns = [column.name for column in metadata.tables[table].columns]
        for row in rows:
            for column, value in zip(columns, row):
                text = value if isinstance(value, str) else repr(value)
                for label, marker in markers.items():
                    if marker in text:
                        found.setdefault((table, column), set()).add(label)
    return found


def _every_log_line(caplog) -> list[str]:
    lines = [caplog.text]
    for record in caplog.records:
        lines += [record.getMessage(), record.exc_text or "", record.stack_info or ""]
    return lines


def test_markers_through_every_channel_reach_no_log_line_and_only_the_allowed_columns(database_url, tmp_path, fakes,
                                                                                      caplog):
    telegram, twilio = fakes
    caplog.set_level(logging.DEBUG)
    app = journey.build_app(database_url, telegram, twilio, tmp_path)
    caplog.set_level(logging.DEBUG, logger="bot")  # create_app sets our own loggers to INFO; look at DEBUG too
    try:
        assert scrubbing_installed(), "create_app installs the log scrubbing, as in production"
        markers = journey.run_journey(app, telegram, twilio)
        everything = markers.everything()
        found = _where_found(database_url, everything)
        # Eight days on, the worker's purges delete the draft left part way; they are logged too.
        counts = journey.later_worker_pass(app, days=8)
    finally:
        journey.close_app(app)
    assert "web chat draft place" not in str(_where_found(database_url, everything))

    # The logs: not one marker in any line, message, exception or stack.
    logged = _every_log_line(caplog)
    assert any("retention:" in line for line in logged), (counts, logged)
    leaked = {label: marker for label, marker in everything.items() if any(marker in line for line in logged)}
    assert leaked == {}, f"in the logs: {leaked}"
    # Private and named reports are logged by reference (docs/privacy.md); anonymous ones not at all.
    assert any(markers.references["telegram"] in line for line in logged)
    for anonymous in (markers.references["webchat"], markers.references["open311"]):
        assert not any(anonymous in line for line in logged)

    # The tables, as they were after the journey: each marker only where ALLOWED lists it.
    outside = {place: labels - ALLOWED.get(place, (set(), ""))[0] for place, labels in found.items()}
    outside = {place: labels for place, labels in outside.items() if labels}
    assert outside == {}, f"markers outside the allowed columns: {outside}"
    # The search finds what is there (so an empty answer above means something).
    assert found[("report", "description")] == REPORT_WORDS
    assert {"staff reply"} <= found[("reportupdate", "public_message")]
    assert {"feedback comment"} <= found[("eventfeedback", "comment")]
    # What a channel shows of a person (Telegram's names, WhatsApp's ProfileName) is kept nowhere at all.
    for label, name in markers.display_names.items():
        assert not any(label in labels for labels in found.values()), f"{label} ({name}) was kept"

    # The filter the journey ran under is the production one: a line with a number, logged now, is scrubbed
    # on its way to the same handler that captured the journey.
    logging.getLogger("bot.conversations").warning("canary for %s in chat %s", journey.WHATSAPP_PHONE,
                                                   journey.TELEGRAM_CHAT_ID)
    canary = caplog.records[-1].getMessage()
    assert canary.startswith("canary for [phone] in chat [")
    assert journey.WHATSAPP_PHONE[3:] not in canary and str(journey.TELEGRAM_CHAT_ID) not in canary


def test_every_allowed_column_exists_and_says_why():
    """The list is the documentation: each entry names a real column and gives its reason."""
    from sqlmodel import SQLModel

    import storage.models  # noqa: F401 (registers the tables)

    for (table, column), (labels, reason) in ALLOWED.items():
        assert table in SQLModel.metadata.tables and column in SQLModel.metadata.tables[table].columns, (table, column)
        assert labels and len(reason) > 20
