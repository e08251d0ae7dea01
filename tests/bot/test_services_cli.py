"""`safer-homes services add | list | edit | check | remove`, as staff keeping the get-help directory current
would run them, and the demo services `demo-data` adds."""
from datetime import date, timedelta

from click.testing import CliRunner

from bot.cli import HELP_CATEGORIES_HELP, HELP_LANGUAGES_HELP, main
from storage import help_services
from storage.database import make_engine, new_session
from storage.models import HELP_CATEGORIES, HELP_SPOKEN_LANGUAGES
from storage.types import utcnow
from tests.helpers import dump_every_table


def _run(database_url, *args):
    return CliRunner().invoke(main, list(args), env={"DATABASE_URL": database_url, "SECRET_KEY": "x" * 32})


def _services(database_url):
    engine = make_engine(database_url)
    with new_session(engine) as session:
        rows = [(s.name, ward, s.categories, s.offer, s.offers, s.phone, s.website, s.address, s.opening_hours,
                 s.cost, s.languages, s.checked_on) for s, ward in help_services.list_help_services(session)]
    engine.dispose()
    return rows


def _add(database_url, *args):
    result = _run(database_url, "services", "add", "--name", "Weavers advice drop-in", "--categories", "money,housing",
                  "--offer", "Advice on benefits and debt.", *args)
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def test_the_help_names_every_category_and_spoken_language():
    assert HELP_CATEGORIES_HELP.split(",") == list(HELP_CATEGORIES)
    assert HELP_LANGUAGES_HELP.split(",") == list(HELP_SPOKEN_LANGUAGES)


def test_add_prints_the_id_alone_on_its_last_line_and_is_checked_today(database_url):
    service_id = _add(database_url, "--phone", "020 7000 0000", "--website", "https://example.org",
                      "--address", "1 Example Row, E2", "--ward", "weavers", "--hours", "Tue 10:00-13:00",
                      "--cost", "affordable", "--languages", "bn,syl,en", "--offer-in", "bn=সুবিধা ও ঋণ বিষয়ে পরামর্শ।")
    assert service_id.isdigit()
    today = help_services.london_day(utcnow())
    assert _services(database_url) == [(
        "Weavers advice drop-in", "Weavers", ["money", "housing"], "Advice on benefits and debt.",
        {"bn": "সুবিধা ও ঋণ বিষয়ে পরামর্শ।"}, "020 7000 0000", "https://example.org", "1 Example Row, E2",
        "Tue 10:00-13:00", "affordable", ["en", "bn", "syl"], today)]


def test_edit_changes_only_what_is_given_and_check_confirms_it_today(database_url):
    service_id = _add(database_url, "--phone", "020 7000 0000", "--checked-on", "2026-01-05",
                      "--offer-in", "bn=পরামর্শ", "--offer-in", "so=Talo")
    result = _run(database_url, "services", "edit", service_id, "--phone", "", "--website", "https://example.org",
                  "--offer-in", "so=", "--offer-in", "ur=مشورہ")
    assert result.exit_code == 0, result.output
    [row] = _services(database_url)
    assert (row[4], row[5], row[6], row[11]) == ({"bn": "পরামর্শ", "ur": "مشورہ"}, None, "https://example.org",
                                                 date(2026, 1, 5))
    result = _run(database_url, "services", "check", service_id)
    assert result.exit_code == 0, result.output
    today = help_services.london_day(utcnow())
    assert result.output.strip() == f"service {service_id} checked on {today.isoformat()}"
    assert _services(database_url)[0][11] == today


def test_list_puts_what_needs_checking_first_and_filters_by_kind(database_url):
    _add(database_url, "--phone", "1", "--name", "Fresh")
    old = (help_services.london_day(utcnow()) - timedelta(days=200)).isoformat()
    _add(database_url, "--phone", "2", "--name", "Stale", "--checked-on", old, "--categories", "victims")
    lines = _run(database_url, "services", "list").output.strip().splitlines()
    assert [line.split("\t")[1:4] for line in lines] == [
        ["NEEDS CHECKING", old, "Stale"], ["checked", help_services.london_day(utcnow()).isoformat(), "Fresh"]]
    assert "whole borough" in lines[0] and "English only" in lines[0]
    only = _run(database_url, "services", "list", "--category", "victims").output.strip().splitlines()
    assert [line.split("\t")[3] for line in only] == ["Stale"]
    assert _run(database_url, "services", "list", "--category", "families").output.strip() == "no services listed"


def test_bad_input_is_refused_on_stderr_with_exit_code_2_and_changes_nothing(database_url):
    service_id = _add(database_url, "--phone", "020 7000 0000")
    before = dump_every_table(database_url)
    future = (help_services.london_day(utcnow()) + timedelta(days=2)).isoformat()
    base = ["add", "--name", "X", "--categories", "money", "--offer", "Advice", "--phone", "1"]
    cases = [
        (["add", "--categories", "money", "--offer", "Advice"], "--name, --categories and --offer are required"),
        (base + ["--categories", "crime"], "unknown categories crime"),
        (base + ["--ward", "atlantis"], "unknown ward 'atlantis'"),
        (base + ["--cost", "cheap"], "unknown cost cheap"),
        (base + ["--languages", "bn,klingon"], "unknown languages klingon"),
        (base + ["--website", "ftp://example.org"], "the website must be an address"),
        (base + ["--checked-on", future], "checked_on cannot be in the future"),
        (base + ["--offer-in", "bn"], "is not LANG=TEXT"),
        (["add", "--name", "X", "--categories", "money", "--offer", "Advice"], "give a phone number, a website"),
        (["edit", service_id, "--phone", "", "--name", "Renamed"], "not changed: give a phone number"),
        (["edit", "999", "--name", "Renamed"], "there is no help service 999"),
        (["check", "999"], "there is no help service 999"),
        (["remove", "999"], "there is no help service 999"),
        (["list", "--category", "crime"], "unknown categories crime"),
    ]
    for args, message in cases:
        result = _run(database_url, "services", *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, (args, result.output)
    assert dump_every_table(database_url) == before


def test_remove_takes_it_out(database_url):
    service_id = _add(database_url, "--phone", "1")
    result = _run(database_url, "services", "remove", service_id)
    assert result.exit_code == 0 and result.output.strip() == f"service {service_id} removed"
    assert _services(database_url) == []


def test_demo_data_adds_the_real_helplines_and_idea_stores_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    from storage import migrate

    migrate.upgrade(url)
    result = _run(url, "demo-data")
    assert result.exit_code == 0, result.output
    assert "demo help services added" in result.output
    rows = {row[0]: row for row in _services(url)}
    assert rows["Samaritans"][5] == "116 123" and rows["Childline"][5] == "0800 1111"
    assert rows["Victim Support"][5] == "0808 168 9111" and rows["Shelter"][5] == "0808 800 4444"
    assert rows["National Domestic Abuse Helpline"][5] == "0808 2000 247" and rows["FRANK"][5] == "0300 123 6600"
    assert rows["NHS 111"][5] == "111" and rows["Citizens Advice"][5] == "0800 144 8848"
    assert rows["Idea Store Whitechapel"][1:3] == ("Whitechapel", ["online_wifi", "online_devices", "online_skills"])
    assert rows["Idea Store Whitechapel"][7] == "321 Whitechapel Road, London E1 1BU"
    # Every kind of support a resident can choose has at least one service to show.
    assert {kind for row in rows.values() for kind in row[2]} == set(HELP_CATEGORIES)
    count = len(rows)
    assert _run(url, "demo-data").exit_code == 0
    assert len(_services(url)) == count  # not again: a service staff removed must not come back
