"""What organisers run: `events add` with everything an event offers, `events edit`, `events show` with the
totals of needs, `events export` (CSV that never says who answered) and `events poster`."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import EVENT_KINDS_HELP, main
from storage.database import make_engine, new_session
from storage.models import EVENT_KINDS, Contact, Event, OutboxMessage, Rsvp, Space
from tests.helpers import dump_every_table

FULL = ["--title", "Weavers ward panel", "--starts", "2099-07-14T18:30", "--ends", "2099-07-14T20:30",
        "--ward", "weavers", "--place", "Weavers Community Centre", "--capacity", "40", "--kind", "ward_panel",
        "--description", "Tell the police and council what to focus on.",
        "--title-in", "bn=উইভার্স ওয়ার্ড প্যানেল", "--title-in", "so=Guddiga xaafadda Weavers",
        "--description-in", "bn=পুলিশ ও কাউন্সিলকে বলুন", "--machine-translated", "so",
        "--interpreters", "bn,syl,so", "--food", "--childcare", "--step-free", "--voucher", "£10 shopping voucher",
        "--travel-costs", "--decision-maker", "Ward councillors", "--decision-maker", "Safer Neighbourhood sergeant"]


def _run(database_url, *args, env=None):
    return CliRunner().invoke(main, list(args), env={"DATABASE_URL": database_url, "SECRET_KEY": "x" * 32, **(env or {})})


def _add(database_url, *args) -> int:
    result = _run(database_url, "events", "add", *args)
    assert result.exit_code == 0, result.output
    return int(result.output.strip().splitlines()[-1])


def _event(database_url, event_id) -> Event:
    engine = make_engine(database_url)
    with new_session(engine) as session:
        event = session.get(Event, event_id)
    engine.dispose()
    return event


def _with_session(database_url, work):
    engine = make_engine(database_url)
    with new_session(engine) as session:
        result = work(session)
        session.commit()
    engine.dispose()
    return result


def _answers(database_url, event_id, answers, first_contact_id=1001, channel="telegram"):
    """RSVPs from contacts with ids far from any number the export prints, so a leak would show."""
    def add(session):
        start = datetime(2099, 7, 1, 9, 0, tzinfo=timezone.utc)
        for number, (status, needs, language) in enumerate(answers):
            contact = Contact(id=first_contact_id + number, channel=channel, address_hash=f"secret-hash-{number:04d}",
                              address_sealed=f"sealed-address-{number:04d}", created_at=start)
            session.add(contact)
            session.flush()
            moment = start + timedelta(days=number)
            session.add(Rsvp(event_id=event_id, contact_id=contact.id, status=status, needs=needs,
                             interpreter_language=language, created_at=moment, updated_at=moment,
                             waiting_since=moment if status == "waiting" else None))
    _with_session(database_url, add)


ANSWERS = [
    ("attending", ["interpreter", "childcare"], "bn"), ("attending", ["interpreter", "food"], "bn"),
    ("attending", ["interpreter", "step_free"], "syl"), ("attending", ["food"], None),
    ("waiting", ["childcare"], None), ("declined", [], None),
]


# --- add ------------------------------------------------------------------------------------------

def test_add_keeps_everything_an_event_offers(database_url):
    event = _event(database_url, _add(database_url, *FULL))
    assert (event.kind, event.capacity, event.place) == ("ward_panel", 40, "Weavers Community Centre")
    assert event.ends_at == datetime(2099, 7, 14, 19, 30, tzinfo=timezone.utc)  # 20:30 BST
    assert event.titles == {"bn": "উইভার্স ওয়ার্ড প্যানেল", "so": "Guddiga xaafadda Weavers"}
    assert event.descriptions == {"bn": "পুলিশ ও কাউন্সিলকে বলুন"}
    assert event.machine_translated == ["so"]
    assert event.offers == {"interpreters": ["bn", "syl", "so"], "food": True, "childcare": True, "step_free": True,
                            "voucher": "£10 shopping voucher", "travel_costs": True}
    assert event.decision_makers == ["Ward councillors", "Safer Neighbourhood sergeant"]


def test_add_takes_a_venue_from_the_spaces_directory(database_url):
    def add_space(session):
        space = Space(name="Osmani Centre", address="58 Underwood Road, E1 5AW", created_at=datetime.now(timezone.utc),
                      updated_at=datetime.now(timezone.utc))
        session.add(space)
        session.flush()
        return space.id

    space_id = _with_session(database_url, add_space)
    event = _event(database_url, _add(database_url, "--title", "Forum", "--starts", "2099-03-01T18:00",
                                      "--space", str(space_id)))
    assert event.space_id == space_id and event.kind == "community_forum"


def test_the_kind_help_names_every_kind():
    assert [kind.strip() for kind in EVENT_KINDS_HELP.split(",")] == list(EVENT_KINDS)


ADD_REFUSALS = [
    (["--kind", "rave"], "unknown kind 'rave'"),
    (["--title-in", "xx=Panel"], "unknown language 'xx'"),
    (["--title-in", "bn"], "is not LANG=TEXT"),
    (["--description-in", "=text"], "is not LANG=TEXT"),
    (["--machine-translated", "bn"], "no title or description in that language"),
    (["--interpreters", "bn,klingon"], "unknown interpreter language klingon"),
    (["--space", "999"], "unknown space 999"),
    (["--capacity", "0"], "capacity must be at least 1"),
    (["--ends", "2099-01-14T17:00"], "end after it starts"),
    (["--ends", "later"], "ISO 8601"),
    (["--voucher", "£" * 201], "voucher text is over 200"),
]


@pytest.mark.parametrize("extra, message", ADD_REFUSALS, ids=[case[1] for case in ADD_REFUSALS])
def test_add_refuses_bad_input_clearly_and_adds_nothing(database_url, extra, message):
    before = dump_every_table(database_url)
    result = _run(database_url, "events", "add", "--title", "Panel", "--starts", "2099-01-14T18:30", *extra)
    assert result.exit_code != 0 and message in result.output, result.output
    assert dump_every_table(database_url) == before


# --- edit -----------------------------------------------------------------------------------------

def test_edit_changes_what_is_given_and_nothing_else(database_url):
    event_id = _add(database_url, *FULL)
    before = _event(database_url, event_id)
    result = _run(database_url, "events", "edit", str(event_id), "--title", "Weavers ward panel (summer)",
                  "--no-food", "--interpreters", "bn,so", "--voucher", "", "--title-in", "so=Guddiga Weavers",
                  "--title-in", "bn=", "--decision-maker", "Ward councillors", "--capacity", "60")
    assert result.exit_code == 0, result.output
    after = _event(database_url, event_id)
    assert after.title == "Weavers ward panel (summer)" and after.capacity == 60
    assert after.offers == {"interpreters": ["bn", "so"], "childcare": True, "step_free": True, "travel_costs": True}
    # The Somali title is new and not marked again, so it is now a person's translation; bn= removed a title.
    assert after.titles == {"so": "Guddiga Weavers"} and after.machine_translated == []
    assert after.decision_makers == ["Ward councillors"]
    assert (after.starts_at, after.place, after.ward_id, after.kind) == (before.starts_at, before.place, before.ward_id, before.kind)
    assert after.updated_at > before.updated_at


def test_a_larger_capacity_gives_places_to_the_waiting_list_and_tells_them(database_url):
    event_id = _add(database_url, "--title", "Forum", "--starts", "2099-03-01T18:00", "--capacity", "4")
    _answers(database_url, event_id, ANSWERS, channel="webchat")  # four with a place, one waiting
    result = _run(database_url, "events", "edit", str(event_id), "--capacity", "6")
    assert result.exit_code == 0 and "1 on the waiting list now have a place and will be told" in result.output

    def look(session):
        statuses = [rsvp.status for rsvp in session.execute(select(Rsvp).order_by(Rsvp.contact_id)).scalars()]
        notices = [(message.contact_id, message.kind) for message in session.execute(select(OutboxMessage)).scalars()]
        return statuses, notices
    statuses, notices = _with_session(database_url, look)
    assert statuses == ["attending"] * 5 + ["declined"]
    assert notices == [(1005, "place_offered")]


def test_edit_can_mark_a_translation_as_machine_made(database_url):
    event_id = _add(database_url, *FULL)
    assert _run(database_url, "events", "edit", str(event_id), "--machine-translated", "bn").exit_code == 0
    assert _event(database_url, event_id).machine_translated == ["bn", "so"]


def test_edit_leaves_time_and_place_to_events_move(database_url):
    event_id = _add(database_url, *FULL)
    for option in ("--starts", "--place", "--space", "--ward"):
        result = _run(database_url, "events", "edit", str(event_id), option, "x")
        assert result.exit_code == 2 and "No such option" in result.output, result.output


def test_edit_refuses_bad_input_clearly_and_changes_nothing(database_url):
    event_id = _add(database_url, *FULL)
    _answers(database_url, event_id, ANSWERS)  # four people have a place
    cases = [
        ([str(event_id)], "nothing to change"),
        (["999", "--title", "x"], "there is no event 999"),
        ([str(event_id), "--kind", "party"], "unknown kind 'party'"),
        ([str(event_id), "--title", " "], "title must be 1 to 200"),
        ([str(event_id), "--capacity", "3"], "4 people already have a place"),
        ([str(event_id), "--ends", "2099-07-14T17:00"], "end after it starts"),
        ([str(event_id), "--title-in", "xx=Hello"], "unknown language 'xx'"),
        ([str(event_id), "--machine-translated", "ur"], "no title or description in that language"),
        ([str(event_id), "--interpreters", "bn,elvish"], "unknown interpreter language elvish"),
    ]
    before = dump_every_table(database_url)
    for args, message in cases:
        result = _run(database_url, "events", "edit", *args)
        assert result.exit_code != 0 and message in result.output, (args, result.output)
    assert dump_every_table(database_url) == before


# --- show and export ------------------------------------------------------------------------------

def test_show_prints_the_event_and_the_totals_of_needs(database_url):
    event_id = _add(database_url, *FULL)
    _answers(database_url, event_id, ANSWERS)
    result = _run(database_url, "events", "show", str(event_id))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"event {event_id}: Weavers ward panel (ward panel)"
    assert "when: Tuesday 14 July 2099, 18:30–20:30 (London)" in lines
    assert "answers: attending 4 · waiting 1 · not coming 1" in lines
    # By hand from ANSWERS: of the four with a place, interpreters Bengali 2 and Sylheti 1, childcare 1,
    # step-free 1, food 2 (the waiting resident's childcare is not counted: no place yet).
    assert "needs of those attending: interpreters: Bengali 2, Sylheti 1; childcare: 1; step-free: 1; food: 2" in lines
    assert "offers: interpreters (Bengali, Sylheti, Somali), food, childcare, step-free access, travel costs, " \
           "voucher: £10 shopping voucher" in lines


def test_show_prints_the_kept_summary_after_the_answers_are_deleted(database_url):
    event_id = _add(database_url, "--title", "Forum", "--starts", "2099-03-01T18:00")

    def keep_summary(session):
        session.get(Event, event_id).rsvp_summary = {"attending": 31, "waiting": 0, "declined": 5,
                                                     "interpreters": {"so": 4}, "childcare": 2, "step_free": 0,
                                                     "food": 9}
    _with_session(database_url, keep_summary)
    output = _run(database_url, "events", "show", str(event_id)).output
    assert "answers (kept totals; the answers themselves are deleted): attending 31 · waiting 0 · not coming 5" in output
    assert "needs of those attending: interpreters: Somali 4; childcare: 2; food: 9" in output
    export = _run(database_url, "events", "export", str(event_id))
    assert export.exit_code != 0 and "were deleted after it" in export.output


def test_show_and_export_refuse_an_unknown_event(database_url):
    for command in ("show", "export", "poster"):
        result = _run(database_url, "events", command, "999")
        assert result.exit_code != 0 and "there is no event 999" in result.output, (command, result.output)


def test_export_is_one_row_per_answer_and_never_says_who(database_url, tmp_path):
    event_id = _add(database_url, *FULL)
    _answers(database_url, event_id, ANSWERS)
    result = _run(database_url, "events", "export", str(event_id))
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows == [
        ["status", "needs", "interpreter_language", "answered_on", "waiting_position", "waiting_since"],
        ["attending", "interpreter;childcare", "Bengali", "2099-07-01", "", ""],
        ["attending", "interpreter;food", "Bengali", "2099-07-02", "", ""],
        ["attending", "interpreter;step_free", "Sylheti", "2099-07-03", "", ""],
        ["attending", "food", "", "2099-07-04", "", ""],
        ["waiting", "childcare", "", "2099-07-05", "1", "2099-07-05"],
        ["declined", "", "", "2099-07-06", "", ""],
    ]
    # Nothing from the contact or RSVP rows that could point to a person appears anywhere in the file.
    dump = dump_every_table(database_url)
    identifying = {value for row in dump["contact"] for value in row if isinstance(value, str) and value != "telegram"}
    identifying |= {str(row[0]) for row in dump["rsvp"]} - {"1", "2", "3", "4", "5", "6"}  # rsvp ids past 6
    identifying |= {str(contact_id) for contact_id in range(1001, 1007)}
    leaked = [value for value in identifying if value in result.output and not value.startswith("2099-")]
    assert leaked == []
    assert "telegram" not in result.output and "secret-hash" not in result.output and "sealed" not in result.output

    out = tmp_path / "answers.csv"
    written = _run(database_url, "events", "export", str(event_id), "--out", str(out))
    assert written.exit_code == 0 and "6 answers written" in written.output
    assert out.read_text(encoding="utf-8").replace("\r\n", "\n") == result.output.replace("\r\n", "\n")


# --- poster ---------------------------------------------------------------------------------------

def test_poster_writes_one_page_per_language(database_url, tmp_path):
    event_id = _add(database_url, *FULL)
    out = tmp_path / "poster.html"
    result = _run(database_url, "events", "poster", str(event_id), "--lang", "en,bn,so", "--out", str(out),
                  env={"TELEGRAM_BOT_USERNAME": "@SaferHomesBot"})
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert page.count('<section class="page"') == 3
    assert 'lang="bn"' in page and "উইভার্স ওয়ার্ড প্যানেল" in page
    assert f"https://t.me/SaferHomesBot?start=event_{event_id}" in page


def test_poster_refuses_a_language_it_has_no_text_in(database_url, tmp_path):
    event_id = _add(database_url, *FULL)
    out = tmp_path / "poster.html"
    result = _run(database_url, "events", "poster", str(event_id), "--lang", "en,xx", "--out", str(out))
    assert result.exit_code == 2 and "no poster text in 'xx'" in result.output and "en, bn, so" in result.output
    assert not out.exists()
