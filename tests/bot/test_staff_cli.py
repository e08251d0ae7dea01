"""`safer-homes staff add` and the first admin `demo-data` makes, as an operator would run them."""
from __future__ import annotations

import re
from pathlib import Path
import pytest
from click.testing import CliRunner

from bot.cli import DEMO_ADMIN_EMAIL, main
from storage import migrate, staff
from storage.database import make_engine, new_session
from tests.helpers import dump_every_table


def _run(database_url, *args):
    return CliRunner().invoke(main, list(args), env={"DATABASE_URL": database_url, "SECRET_KEY": "x" * 32})


def _can_log_in(database_url, email, password) -> str:
    from storage.types import utcnow

    engine = make_engine(database_url)
    with new_session(engine) as session:
        reason = staff.authenticate(session, email=email, password=password, now=utcnow()).reason
        session.rollback()
    engine.dispose()
    return reason


def test_add_with_a_password(database_url):
    result = _run(database_url, "staff", "add", "Officer@Police.example", "--role", "officer", "--agency", "police",
                  "--password", "a long enough passphrase")
    assert result.exit_code == 0, result.output
    assert result.output == "added officer@police.example (officer, police)\n"
    assert _can_log_in(database_url, "officer@police.example", "a long enough passphrase") == "ok"
    audit = dump_every_table(database_url)["auditentry"]
    assert len(audit) == 1 and audit[0][3] == "staff_added" and "passphrase" not in repr(audit)


def test_add_without_a_password_prints_a_generated_one_once(database_url):
    result = _run(database_url, "staff", "add", "admin@council.example", "--role", "admin")
    assert result.exit_code == 0, result.output
    password = re.search(r"password \(shown once, not stored anywhere in clear\): (\S+)$", result.output).group(1)
    assert len(password) >= 20
    assert _can_log_in(database_url, "admin@council.example", password) == "ok"
    assert password not in repr(dump_every_table(database_url))


@pytest.mark.parametrize("args, message", [
    (["nobody", "--role", "officer", "--agency", "council"], "'nobody' is not an email address"),
    (["x@council.example", "--role", "boss", "--agency", "council"], "there is no role 'boss'"),
    (["x@council.example", "--role", "officer", "--agency", "parks"], "there is no agency 'parks': choose one of"),
    (["x@council.example", "--role", "officer"], "a officer belongs to one agency"),
    (["x@council.example", "--role", "viewer", "--agency", "council", "--password", "short"], "the password is too short"),
    (["x@council.example", "--role", "viewer", "--agency", "council", "--password", "password1234"], "the password is too easy"),
    (["FIRST@council.example", "--role", "viewer", "--agency", "housing"], "there is already an account for first@council.example"),
])
def test_bad_input_is_refused_with_exit_code_2_and_changes_nothing(database_url, args, message):
    assert _run(database_url, "staff", "add", "first@council.example", "--role", "admin").exit_code == 0
    before = dump_every_table(database_url)
    result = _run(database_url, "staff", "add", *args)
    assert result.exit_code == 2, result.output
    assert f"not added: {message}" in result.output
    assert "Traceback" not in result.output
    assert dump_every_table(database_url) == before


def test_demo_data_on_a_new_database_adds_one_admin_and_prints_its_password_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    migrate.upgrade(url)  # migrated, nothing seeded: what script/server starts from
    first = _run(url, "demo-data")
    assert first.exit_code == 0, first.output
    match = re.search(rf"sign in at /staff/login as {re.escape(DEMO_ADMIN_EMAIL)} with the password (\S+) \(shown once\)",
                      first.output)
    assert match, first.output
    assert _can_log_in(url, DEMO_ADMIN_EMAIL, match.group(1)) == "ok"
    again = _run(url, "demo-data")
    assert again.exit_code == 0 and "password" not in again.output
    assert len(dump_every_table(url)["staffuser"]) == 1


def test_demo_data_on_a_database_in_use_adds_no_admin(database_url):
    result = _run(database_url, "demo-data")
    assert result.exit_code == 0 and "staff admin" not in result.output
    assert dump_every_table(database_url)["staffuser"] == []


def test_script_server_runs_demo_data_where_its_output_is_seen():
    script = Path("script/server").read_text()
    demo_line = next(line for line in script.splitlines() if "demo-data" in line)
    assert ">" not in demo_line and "|" not in demo_line  # the admin password reaches the terminal


def test_disable_and_enable_turn_an_account_off_and_on(database_url):
    assert _run(database_url, "staff", "add", "admin@council.example", "--role", "admin").exit_code == 0
    assert _run(database_url, "staff", "add", "officer@police.example", "--role", "officer", "--agency", "police",
                "--password", "a long enough passphrase").exit_code == 0
    off = _run(database_url, "staff", "disable", "Officer@Police.example")
    assert off.exit_code == 0 and off.output == "officer@police.example is turned off and signed out\n"
    assert _can_log_in(database_url, "officer@police.example", "a long enough passphrase") == "inactive"
    again = _run(database_url, "staff", "disable", "officer@police.example")
    assert again.exit_code == 0 and "already off; nothing changed" in again.output
    on = _run(database_url, "staff", "enable", "officer@police.example")
    assert on.exit_code == 0 and on.output == "officer@police.example can sign in again\n"
    assert _can_log_in(database_url, "officer@police.example", "a long enough passphrase") == "ok"
    actions = [row[3] for row in dump_every_table(database_url)["auditentry"]]
    assert actions.count("staff_deactivated") == 1 and actions.count("staff_reactivated") == 1


@pytest.mark.parametrize("command", ["disable", "enable", "reset-password"])
def test_an_unknown_address_is_refused_with_exit_code_2(database_url, command):
    before = dump_every_table(database_url)
    result = _run(database_url, "staff", command, "nobody@council.example")
    assert result.exit_code == 2, result.output
    assert "there is no staff account for 'nobody@council.example'" in result.output and "Traceback" not in result.output
    assert dump_every_table(database_url) == before


def test_disable_refuses_the_last_active_admin(database_url):
    assert _run(database_url, "staff", "add", "admin@council.example", "--role", "admin").exit_code == 0
    before = dump_every_table(database_url)
    result = _run(database_url, "staff", "disable", "admin@council.example")
    assert result.exit_code == 2 and "not turned off: this is the last active administrator" in result.output
    assert dump_every_table(database_url) == before


def test_reset_password_prints_a_new_password_once_that_must_then_be_changed(database_url):
    assert _run(database_url, "staff", "add", "officer@police.example", "--role", "officer", "--agency", "police",
                "--password", "a long enough passphrase").exit_code == 0
    result = _run(database_url, "staff", "reset-password", "officer@police.example")
    assert result.exit_code == 0, result.output
    password = re.search(r"password \(shown once, not stored anywhere in clear\): (\S+)$", result.output).group(1)
    assert _can_log_in(database_url, "officer@police.example", "a long enough passphrase") == "wrong_password"
    assert _can_log_in(database_url, "officer@police.example", password) == "ok"
    dump = dump_every_table(database_url)
    assert password not in repr(dump) and [row[3] for row in dump["auditentry"]][-1] == "password_reset"
    engine = make_engine(database_url)
    with new_session(engine) as session:
        assert staff.find_staff_by_email(session, email="officer@police.example").must_change_password
    engine.dispose()
