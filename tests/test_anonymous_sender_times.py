"""An anonymous report leaves no mark on its sender's side, on every channel, SQLite and PostgreSQL.

The report's own times are rounded down to the hour (storage/reports.py). If the sender's rows were rounded
too, a time exactly on the hour would be a mark nothing else makes: whoever copies the database could list
the contacts, conversations and outbox rows on the hour and so name the residents who sent an anonymous
report in that hour, one of them alone whenever they were the only one. So the turn that files it leaves
the sender's clocks where the turn before left them, keeps the conversation's `last_seen` as every other
turn does, and no outbox row of the acknowledgement outlives its sending."""
from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import select

from flows import i18n
from storage.database import make_engine, new_session
from storage.models import Contact, Conversation, OutboxMessage, Report
from tests.bot.phone_residents import CHANNELS, Resident, resident_on

REFERENCE = re.compile(r"TH-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")
DESCRIPTION = "marker-timing-5d1: the lift on the estate has been broken for a week"


def _anonymous_report(resident: Resident) -> str:
    _ = i18n.translations("en").gettext
    resident.say("menu")
    resident.choose("menu:report", _("Report a safety concern"))
    resident.choose("danger:no", _("No"))
    resident.choose("cat:noise", _("Noise"))
    resident.choose("skip", _("Skip"))
    resident.choose("when:now", _("It is happening now"))
    resident.say(DESCRIPTION)
    resident.choose("privacy:anonymous", _("Anonymous"))
    resident.choose("done", _("Done"))
    text = resident.choose("confirm:yes", _("Yes, send it"))
    return REFERENCE.search(text).group(0)


def _on_the_hour(moment) -> bool:
    return isinstance(moment, datetime) and (moment.minute, moment.second, moment.microsecond) == (0, 0, 0)


def _sender_times(database_url: str) -> dict[str, list]:
    engine = make_engine(database_url)
    with new_session(engine) as session:
        times = {
            "contact": [value for contact in session.execute(select(Contact)).scalars()
                        for value in (contact.created_at, contact.last_inbound_at)],
            "conversation": [conversation.updated_at for conversation in session.execute(select(Conversation)).scalars()],
            "outboxmessage": [value for message in session.execute(select(OutboxMessage)).scalars()
                              for value in (message.created_at, message.next_attempt_at, message.sent_at)],
        }
        states = [dict(state) for state in session.execute(select(Conversation.state)).scalars()]
        report = session.execute(select(Report)).scalar_one()
    engine.dispose()
    return {"times": times, "states": states, "report": report}


@pytest.mark.parametrize("channel", CHANNELS)
def test_the_turn_that_files_an_anonymous_report_leaves_no_time_on_the_hour_on_the_senders_side(
        database_url, tmp_path, channel):
    with resident_on(channel, database_url, tmp_path) as (app, resident):
        resident.start_in_english()
        reference = _anonymous_report(resident)
        if resident.sends:
            app.extensions["safer_homes.deliverer"].deliver_due()
            assert any(reference in message for message in resident.received())  # the acknowledgement arrived
        found = _sender_times(database_url)

    report = found["report"]
    assert report.reference == reference and report.privacy == "anonymous" and _on_the_hour(report.created_at)
    marked = {table: [value for value in values if _on_the_hour(value)] for table, values in found["times"].items()}
    assert marked == {"contact": [], "conversation": [], "outboxmessage": []}
    # The conversation looks like any other one back at the menu: it still says when they were last seen.
    [state] = found["states"]
    assert "last_seen" in state and "draft" not in state
    assert reference not in repr(state)



def test_an_anonymous_report_finished_a_day_later_still_reaches_whatsapp_and_leaves_no_mark(engine):
    """A resident comes back to a draft a day later ("carry on where I was") and sends it anonymously: the
    acknowledgement goes at once inside WhatsApp's window, leaves no row, and the sender's clocks stay at their
    message before, neither now nor on the hour."""
    from datetime import timedelta, timezone

    from tests.bot.test_delivery import Clock, ScriptedChannel, _converse, _deliverer

    channel = ScriptedChannel(name="whatsapp")
    clock = Clock()

    def say(at, **step):
        clock.now = at
        answered = _converse(engine, channel, now=at, **step).outbox_ids
        _deliverer(engine, channel, clock).deliver_now(answered)
        return answered

    before = datetime(2026, 12, 2, 11, 37, 12, 345678, tzinfo=timezone.utc)
    for step in [dict(text="hi"), dict(choice="lang:so"), dict(choice="menu:report"), dict(choice="danger:no"),
                 dict(choice="cat:noise"), dict(choice="skip"), dict(choice="when:now"), dict(text=DESCRIPTION),
                 dict(choice="privacy:anonymous"), dict(choice="done")]:
        say(before, **step)
    back = before + timedelta(hours=26, minutes=3, seconds=9, microseconds=271)
    say(back, choice="confirm:yes")  # "welcome back": carry on where I was, or start again?
    say(back + timedelta(seconds=4), choice="idle:continue")
    already = len(channel.sent)
    acknowledgement = say(back + timedelta(seconds=11), choice="confirm:yes")

    went = channel.sent[already:]
    assert any(REFERENCE.search(text) for _address, text, _window in went)
    assert all(window_open for _address, _text, window_open in went)  # at once, as replies inside the window
    with new_session(engine) as session:
        assert session.execute(select(Report.privacy)).scalar_one() == "anonymous"
        contact = session.execute(select(Contact)).scalar_one()
        conversation = session.execute(select(Conversation)).scalar_one()
        left = session.execute(select(OutboxMessage.id).where(OutboxMessage.id.in_(acknowledgement))).all()
    assert acknowledgement and left == []
    assert contact.last_inbound_at == conversation.updated_at == back + timedelta(seconds=4)
    assert conversation.state["last_seen"] == conversation.updated_at.isoformat()


def test_the_senders_clock_is_the_turn_before_or_else_a_random_moment_of_the_last_stretch():
    """Should the turn before be longer ago than the idle overlay allows (a longer CONVERSATION_IDLE_MINUTES),
    the moment taken is random within the last stretch: not now, not on the hour, and never so old that
    WhatsApp's window would look closed."""
    from datetime import timedelta, timezone

    from bot.conversations import SENDER_CLOCK_REACH, _sender_clock

    now = datetime(2026, 12, 2, 15, 0, 0, tzinfo=timezone.utc)  # on the hour: the worst case for a mark
    before = now - timedelta(seconds=40)
    assert _sender_clock(before, now, timedelta(minutes=30)) == before
    taken = {_sender_clock(now - timedelta(days=2), now, timedelta(days=3)) for _ in range(200)}
    assert len(taken) > 150
    for moment in taken:
        assert now - SENDER_CLOCK_REACH <= moment < now and not _on_the_hour(moment)
