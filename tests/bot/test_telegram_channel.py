"""The Telegram channel on its own: rendering and splitting, sending through python-telegram-bot to the
fake Bot API, and what each Bot API error becomes for the outbox."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st

from bot.channels.base import Rejected, RetryAfter, Transient, Unreachable
from bot.channels.telegram import MAX_MESSAGE_LENGTH, MediaRefused, TelegramChannel, render_replies, split_text
from bot.settings import Settings
from flows.types import Choice, Reply
from tests.fakes.telegram_api import FakeTelegramAPI, utf16_length

TOKEN = "123:ABC"


@pytest.fixture
def api():
    with FakeTelegramAPI(TOKEN, messages_per_second=None) as fake:
        yield fake


def _channel(api: FakeTelegramAPI, token: str = TOKEN, **options) -> TelegramChannel:
    settings = Settings(secret_key="channel-test-secret-0123456789abcdef", telegram_bot_token=token,
                        telegram_api_base_url=api.url)
    return TelegramChannel(settings, **options)


@pytest.fixture
def channel(api):
    channel = _channel(api)
    yield channel
    channel.close()


def _send(channel, address, payload):
    return channel.send(address, payload, kind="reply", language="en", window_open=True)


# --- rendering -----------------------------------------------------------------------------------

def test_one_turn_becomes_one_escaped_message_with_the_last_replys_choices_as_buttons():
    replies = (
        Reply("Summary: <b>Bow</b> & Co", "en"),
        Reply("Shall I send it?", "en", (Choice("confirm:yes", "Yes, send it"), Choice("confirm:no", "No"))),
    )
    payloads = render_replies(replies)
    assert payloads == [{
        "text": "Summary: &lt;b&gt;Bow&lt;/b&gt; &amp; Co\n\nShall I send it?",
        "parse_mode": "HTML",
        "buttons": [["confirm:yes", "Yes, send it"], ["confirm:no", "No"]],
    }]
    assert json.loads(json.dumps(payloads)) == payloads  # stored in the outbox as JSON


def test_nothing_to_say_is_no_message_and_a_key_over_64_bytes_is_left_out_loudly(caplog):
    assert render_replies(()) == []
    assert render_replies((Reply("  ", "en"),)) == []
    [payload] = render_replies((Reply("Pick", "en", (Choice("k" * 65, "Too long"), Choice("done", "Done"))),))
    assert payload["buttons"] == [["done", "Done"]]
    assert [record.levelname for record in caplog.records] == ["ERROR"]


def test_a_long_reply_is_split_with_the_buttons_on_the_last_part_only():
    paragraph = "word " * 500
    payloads = render_replies((Reply("\n\n".join([paragraph.strip()] * 5), "en", (Choice("done", "Done"),)),))
    # Five paragraphs of 2,499 characters: a paragraph break beats filling each message to the brim.
    assert [payload["text"] for payload in payloads] == [paragraph.strip()] * 5
    assert all("buttons" not in payload for payload in payloads[:-1]) and payloads[-1]["buttons"] == [["done", "Done"]]
    two_lines = render_replies((Reply("\n".join(["line " * 300] * 4), "en"),))
    assert len(two_lines) == 2 and all(len(payload["text"]) <= MAX_MESSAGE_LENGTH for payload in two_lines)


def test_splitting_prefers_a_paragraph_then_a_line_then_a_word():
    assert split_text("a" * 6 + "\n\n" + "b" * 3 + "\n" + "c" * 3, limit=13) == ["a" * 6, "b" * 3 + "\n" + "c" * 3]
    assert split_text("aaa bbb\nccc ddd", limit=10) == ["aaa bbb", "ccc ddd"]
    assert split_text("aaa bbb ccc ddd", limit=10) == ["aaa bbb", "ccc ddd"]
    assert split_text("a" * 25, limit=10) == ["a" * 10, "a" * 10, "a" * 5]


def test_splitting_counts_what_the_api_counts_and_keeps_letters_whole():
    # An emoji is two UTF-16 units; a Bengali vowel sign stays with its consonant.
    assert split_text("🙂" * 6, limit=5) == ["🙂🙂", "🙂🙂", "🙂🙂"]
    parts = split_text("কি" * 8, limit=5)
    assert all(not part.startswith("ি") for part in parts) and "".join(parts) == "কি" * 8


def test_escaping_never_pushes_a_part_over_the_limit():
    payloads = render_replies((Reply("&" * 5000, "en"),))
    assert [len(payload["text"]) for payload in payloads] == [4096 * 5, 904 * 5]  # "&amp;" counts as one


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(["a", "b", " ", "\n", "ক", "ি", "🙂", "&", "<"]), max_size=200),
       st.integers(min_value=2, max_value=40))
def test_splitting_keeps_every_letter_in_order_and_each_part_within_the_limit(text, limit):
    parts = split_text(text, limit=limit)
    assert all(part and utf16_length(part) <= limit for part in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())


# --- sending -------------------------------------------------------------------------------------

def test_a_message_goes_to_the_chat_with_its_buttons_through_telegram_api_base_url(channel, api):
    assert channel.bot.base_url == f"{api.url}/bot{TOKEN}" and channel.bot.base_file_url == f"{api.url}/file/bot{TOKEN}"
    [payload] = render_replies((Reply("Hello & welcome", "en", (Choice("menu:report", "Report"),)),))
    sent = _send(channel, "5123456789", payload)
    [message] = api.messages
    assert (message.chat_id, message.plain, message.parse_mode) == (5123456789, "Hello & welcome", "HTML")
    assert message.buttons == [("Report", "menu:report")]
    assert sent.provider_message_id.startswith(f"tg:{message.message_id}:")
    assert "5123456789" not in sent.provider_message_id and len(sent.provider_message_id) <= 64
    assert [method for method, _params in api.calls] == ["getMe", "sendMessage"]  # initialised once


def test_provider_ids_are_unique_though_message_ids_repeat_across_chats(channel, api):
    ids = {_send(channel, str(chat), {"text": "hi"}).provider_message_id for chat in range(1, 51)}
    assert len(ids) == 50
    assert {message.message_id for message in api.messages} == {101}


def test_many_threads_share_one_channel(channel, api):
    def send(n):
        return _send(channel, str(1000 + n % 10), {"text": f"message {n}"})

    with ThreadPoolExecutor(max_workers=8) as pool:
        sent = list(pool.map(send, range(200)))
    assert len({result.provider_message_id for result in sent}) == 200
    assert len(api.messages) == 200
    assert [method for method, _ in api.calls].count("getMe") == 1


def test_each_api_error_becomes_what_the_outbox_should_do(channel, api):
    secret_text = "Flat 3, 12 Bow Road"
    chat = "5123456789"
    api.block(chat)
    with pytest.raises(Unreachable) as blocked:
        _send(channel, chat, {"text": secret_text})
    api.unblock(chat)
    api.throttle_next(1, retry_after=7)
    with pytest.raises(RetryAfter) as throttled:
        _send(channel, chat, {"text": secret_text})
    assert throttled.value.seconds == 7
    api.fail_next(1, status=500)
    with pytest.raises(Transient) as server_error:
        _send(channel, chat, {"text": secret_text})
    api.fail_next(1, status=502)
    with pytest.raises(Transient):
        _send(channel, chat, {"text": secret_text})
    with pytest.raises(Rejected) as too_long:
        _send(channel, chat, {"text": "x" * 4097})
    with pytest.raises(Rejected) as bad_html:
        _send(channel, chat, {"text": f"<{secret_text}>", "parse_mode": "HTML"})
    with pytest.raises(Rejected):
        _send(channel, "not-a-chat", {"text": "hi"})
    for error in (blocked, throttled, server_error, too_long, bad_html):
        assert chat not in str(error.value) and "Bow Road" not in str(error.value) and TOKEN not in str(error.value)
    assert "too long" in str(too_long.value) and "blocked" in str(blocked.value)
    assert api.messages == []


def test_a_wrong_token_is_rejected_without_repeating_it(api):
    channel = _channel(api, token="999:WRONG")
    try:
        with pytest.raises(Rejected) as refused:
            _send(channel, "42", {"text": "hi"})
        assert "999:WRONG" not in str(refused.value)
    finally:
        channel.close()


def test_a_slow_or_absent_api_is_transient(api):
    channel = _channel(api, timeout=0.3, connect_timeout=0.3)
    try:
        _send(channel, "42", {"text": "warm"})
        api.delay(1.0)
        with pytest.raises(Transient):
            _send(channel, "42", {"text": "slow"})
        api.delay(0)
    finally:
        channel.close()
    with FakeTelegramAPI(TOKEN) as gone:
        url = gone.url
    absent = TelegramChannel(Settings(secret_key="x" * 32, telegram_bot_token=TOKEN, telegram_api_base_url=url),
                             timeout=0.5, connect_timeout=0.5)
    try:
        with pytest.raises(Transient):
            _send(absent, "42", {"text": "nobody there"})
    finally:
        absent.close()


def test_paces_are_telegrams_overall_limit_and_one_a_second_per_chat_keyed_by_a_hash(channel):
    overall, per_chat = channel.paces("5123456789")
    assert overall.key == "telegram" and 25 <= overall.per_second <= 30  # Telegram's 30/s, less any slack
    assert per_chat.per_second == 1 and per_chat.key.startswith("telegram:") and "5123456789" not in per_chat.key
    assert channel.paces("5123456789")[1] == per_chat and channel.paces("42")[1] != per_chat


def test_downloads_refuse_files_over_the_limit(channel, api):
    small = api.add_file(b"OggS" + bytes(10))
    assert channel.download(small, max_bytes=100) == b"OggS" + bytes(10)
    said_large = api.add_file(b"OggS", declared_size=5000)
    with pytest.raises(MediaRefused):
        channel.download(said_large, max_bytes=100)
    lied_small = api.add_file(b"OggS" + bytes(500), declared_size=10)
    with pytest.raises(MediaRefused):
        channel.download(lied_small, max_bytes=100)


def test_close_stops_the_loop_and_is_safe_twice(api):
    channel = _channel(api)
    _send(channel, "42", {"text": "hi"})
    channel.answer_callback_query_soon("query-1")
    thread = channel._thread
    channel.close()
    channel.close()
    assert not thread.is_alive()
    assert api.callback_answers == [{"callback_query_id": "query-1"}]  # best-effort calls finish first
    with pytest.raises(RuntimeError):
        _send(channel, "42", {"text": "after close"})


def test_an_unused_channel_starts_no_thread_and_calls_nothing(api):
    channel = _channel(api)
    channel.paces("42")
    channel.render((Reply("hi", "en"),))
    assert channel._thread is None and api.calls == []
    channel.close()
