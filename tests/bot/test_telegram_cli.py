"""`safer-homes telegram set-webhook` and `safer-homes telegram poll`, against the fake Bot API."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.conversations import forget_reference_data
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.telegram_api import FakeTelegramAPI, TelegramUser
from tests.helpers import row_counts

TOKEN = "123:ABC"


@pytest.fixture
def api():
    with FakeTelegramAPI(TOKEN) as fake:
        yield fake


def _env(api, **extra) -> dict:
    return {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": "s3cret_-X", "TELEGRAM_API_BASE_URL": api.url,
            "PUBLIC_BASE_URL": "https://saferhomes.example.org/", "SECRET_KEY": TEST_SECRET_KEY, **extra}


def test_set_webhook_points_telegram_at_the_public_address_with_the_secret(api):
    result = CliRunner().invoke(main, ["telegram", "set-webhook"], env=_env(api))
    assert result.exit_code == 0, result.output
    assert "https://saferhomes.example.org/webhooks/telegram" in result.output
    assert api.webhook == {
        "url": "https://saferhomes.example.org/webhooks/telegram",
        "secret_token": "s3cret_-X",
        "allowed_updates": ["message", "callback_query"],
        "drop_pending_updates": False,
    }


@pytest.mark.parametrize("env, complaint", [
    ({"TELEGRAM_BOT_TOKEN": ""}, "TELEGRAM_BOT_TOKEN"),
    ({"TELEGRAM_WEBHOOK_SECRET": ""}, "TELEGRAM_WEBHOOK_SECRET"),
    ({"TELEGRAM_WEBHOOK_SECRET": "has spaces and ünïcode"}, "TELEGRAM_WEBHOOK_SECRET"),
    ({"PUBLIC_BASE_URL": "http://saferhomes.example.org"}, "https://"),
])
def test_set_webhook_explains_what_is_missing_and_calls_nothing(api, env, complaint):
    result = CliRunner().invoke(main, ["telegram", "set-webhook"], env=_env(api, **env))
    assert result.exit_code != 0 and complaint in result.output
    assert api.calls == []


def test_set_webhook_reports_a_refused_token_without_printing_it(api):
    result = CliRunner().invoke(main, ["telegram", "set-webhook"], env=_env(api, TELEGRAM_BOT_TOKEN="999:SECRETTOKEN"))
    assert result.exit_code == 1
    assert "refused the bot token" in result.output and "SECRETTOKEN" not in result.output
    assert api.webhook is None


def test_poll_deletes_the_webhook_and_answers_updates_like_the_webhook(api, database_url, tmp_path):
    forget_reference_data()
    api.webhook = {"url": "https://old.example.org/webhooks/telegram"}
    user = TelegramUser(5123456789, language_code="so")
    api.queue_update(user.message("Salaan"))
    api.queue_update({"update_id": 800_000_000, "edited_message": {"message_id": 1, "date": 1, "text": "x",
                                                         "chat": {"id": 5123456789, "type": "private"}}})
    env = _env(api, DATABASE_URL=database_url, MEDIA_DIR=str(tmp_path / "media"))
    result = CliRunner().invoke(main, ["telegram", "poll", "--rounds", "1", "--timeout", "0"], env=env)
    assert result.exit_code == 0, result.output
    assert "handled 1 updates" in result.output
    assert api.webhook is None and api.calls_to("deleteWebhook")
    [reply] = api.messages_to(5123456789)
    assert reply.callback_data[0] == "lang:so"  # its language_code: Somali first, one tap to confirm
    assert row_counts(database_url)["inboundreceipt"] == 1
    # The last batch was confirmed: a restart would not fetch it again.
    assert api.calls_to("getUpdates")[-1]["offset"] == 800_000_001


def test_telegram_commands_are_listed():
    result = CliRunner().invoke(main, ["telegram", "--help"])
    assert result.exit_code == 0
    assert "set-webhook" in result.output and "poll" in result.output
