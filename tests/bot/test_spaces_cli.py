"""`safer-homes spaces add | list | edit | remove`, as staff keeping the directory current would run them."""
from click.testing import CliRunner

from bot.cli import SPACE_COSTS_HELP, SPACE_FEATURES_HELP, main
from storage.database import make_engine, new_session
from storage.models import SPACE_COSTS
from storage.spaces import FEATURES, features_of, list_spaces
from tests.helpers import dump_every_table


def _run(database_url, *args):
    return CliRunner().invoke(main, list(args), env={"DATABASE_URL": database_url, "SECRET_KEY": "x" * 32})


def _spaces(database_url):
    engine = make_engine(database_url)
    with new_session(engine) as session:
        rows = [(space.name, ward, space.cost, space.booking, space.opening_hours, features_of(space))
                for space, ward in list_spaces(session)]
    engine.dispose()
    return rows


def _add(database_url, *args):
    result = _run(database_url, "spaces", "add", "--name", "Chicksand Community Centre",
                  "--address", "Chicksand Estate, E1", *args)
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def test_add_prints_the_id_alone_on_its_last_line(database_url):
    space_id = _add(database_url, "--ward", "spitalfields-banglatown", "--cost", "affordable",
                    "--booking", "Ask at reception", "--hours", "Mon-Sat 9:00-21:00",
                    "--features", "step_free,kitchen,prayer_space")
    assert space_id.isdigit()
    assert _spaces(database_url) == [("Chicksand Community Centre", "Spitalfields & Banglatown", "affordable",
                                      "Ask at reception", "Mon-Sat 9:00-21:00", ("step_free", "kitchen", "prayer_space"))]


def test_a_space_is_free_with_no_ward_unless_told(database_url):
    _add(database_url)
    assert _spaces(database_url) == [("Chicksand Community Centre", None, "free", None, None, ())]


def test_bad_input_is_refused_on_stderr_with_exit_code_2_and_changes_nothing(database_url):
    space_id = _add(database_url, "--ward", "weavers")
    before = dump_every_table(database_url)
    cases = [
        (["add", "--address", "Somewhere"], "--name and --address are required"),
        (["add", "--name", "Hall"], "--name and --address are required"),
        (["add", "--name", " ", "--address", "Somewhere"], "name must not be empty"),
        (["add", "--name", "Hall", "--address", "Somewhere", "--ward", "atlantis"], "unknown ward 'atlantis'"),
        (["add", "--name", "Hall", "--address", "Somewhere", "--cost", "cheap"], "unknown cost cheap"),
        (["add", "--name", "Hall", "--address", "Somewhere", "--features", "step_free,pool"], "unknown features pool"),
        (["add", "--name", "Hall", "--address", "Somewhere", "--hours", "x" * 301], "at most 300"),
        (["edit", space_id, "--cost", "cheap", "--name", "Renamed"], "not changed: unknown cost"),
        (["edit", space_id, "--ward", "atlantis"], "unknown ward"),
        (["edit", "999", "--name", "Renamed"], "there is no space 999"),
        (["remove", "999"], "there is no space 999"),
        (["list", "--ward", "atlantis"], "unknown ward"),
    ]
    for args, message in cases:
        result = _run(database_url, "spaces", *args)
        assert result.exit_code == 2 and message in result.stderr and not result.stdout, (args, result.output)
    assert dump_every_table(database_url) == before


def test_list_shows_cheapest_first_and_filters_by_ward(database_url):
    _add(database_url, "--cost", "paid", "--ward", "weavers")
    _run(database_url, "spaces", "add", "--name", "Idea Store Whitechapel, meeting room", "--address", "321 Whitechapel Road",
         "--ward", "whitechapel", "--features", "step_free,hearing_loop")
    lines = _run(database_url, "spaces", "list").output.strip().splitlines()
    assert [line.split("\t")[1:3] for line in lines] == [["free", "Idea Store Whitechapel, meeting room"],
                                                         ["paid", "Chicksand Community Centre"]]
    assert "Whitechapel" in lines[0] and "step_free,hearing_loop" in lines[0]
    weavers = _run(database_url, "spaces", "list", "--ward", "weavers").output
    assert "Chicksand" in weavers and "Idea Store" not in weavers
    assert _run(database_url, "spaces", "list", "--ward", "poplar").output.strip() == "no spaces listed"


def test_edit_changes_only_what_is_given_and_remove_takes_it_out(database_url):
    space_id = _add(database_url, "--ward", "weavers", "--booking", "Ring the office", "--features", "kitchen")
    result = _run(database_url, "spaces", "edit", space_id, "--cost", "affordable", "--booking", "",
                  "--features", "step_free,accessible_toilet")
    assert result.exit_code == 0 and f"space {space_id} updated" in result.output
    assert _spaces(database_url) == [("Chicksand Community Centre", "Weavers", "affordable", None, None,
                                      ("step_free", "accessible_toilet"))]
    result = _run(database_url, "spaces", "remove", space_id)
    assert result.exit_code == 0 and f"space {space_id} removed" in result.output
    assert _spaces(database_url) == []


def test_remove_is_refused_while_an_upcoming_event_is_held_there(database_url):
    from sqlalchemy import update

    from storage.models import Event

    space_id = _add(database_url)
    event_id = _run(database_url, "events", "add", "--title", "Panel", "--starts", "2099-01-14T18:30").output.strip().splitlines()[-1]
    engine = make_engine(database_url)
    with new_session(engine) as session:
        session.execute(update(Event).where(Event.id == int(event_id)).values(space_id=int(space_id)))
        session.commit()
    engine.dispose()
    result = _run(database_url, "spaces", "remove", space_id)
    assert result.exit_code == 2 and f"upcoming event(s) {event_id}" in result.stderr
    assert len(_spaces(database_url)) == 1


def test_the_help_names_every_cost_and_feature_storage_accepts():
    assert all(cost in SPACE_COSTS_HELP for cost in SPACE_COSTS)
    assert SPACE_FEATURES_HELP.split(",") == list(FEATURES)


def test_demo_data_lists_demo_spaces_on_a_new_database_only_and_never_brings_one_back(tmp_path, database_url):
    from storage import migrate
    from storage.seed import DEMO_SPACES

    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    migrate.upgrade(fresh)
    assert _run(fresh, "demo-data").exit_code == 0
    names = [row[0] for row in _spaces(fresh)]
    assert sorted(names) == sorted(space["name"] for space in DEMO_SPACES) and all("(demo)" in name for name in names)
    # The Poplar hall holds none of the demo events, so it can be removed.
    [poplar_id] = [line.split("\t")[0] for line in _run(fresh, "spaces", "list").output.splitlines() if "Poplar" in line]
    assert _run(fresh, "spaces", "remove", poplar_id).exit_code == 0
    assert _run(fresh, "demo-data").exit_code == 0
    assert len(_spaces(fresh)) == len(DEMO_SPACES) - 1
    # An installation that already had its wards gets no demo spaces.
    assert _run(database_url, "demo-data").exit_code == 0 and _spaces(database_url) == []
