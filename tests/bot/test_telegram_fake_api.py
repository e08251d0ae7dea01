"""The fake Bot API answers like the real one, so tests and the delivery benchmark can trust it."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.fakes.telegram_api import ApiError, FakeTelegramAPI, TelegramUser, parse_html

TOKEN = "123:ABC"


class ManualClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
def api(clock):
    with FakeTelegramAPI(TOKEN, clock=clock) as fake, httpx.Client() as client:
        fake.http = client  # one client: building one per call costs more than the call
        yield fake


def call(api, method, token=TOKEN, **params):
    return api.http.post(f"{api.url}/bot{token}/{method}", json=params)


def test_a_wrong_token_is_401_like_the_real_api(api):
    response = call(api, "getMe", token="123:WRONG")
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert call(api, "getMe").json()["result"]["is_bot"] is True
    assert call(api, "noSuchMethod").status_code == 404
    assert api.calls == [("getMe", {}), ("noSuchMethod", {})]


def test_json_form_and_query_parameters_are_all_accepted(api):
    assert call(api, "sendMessage", chat_id=1, text="json").status_code == 200
    form = api.http.post(f"{api.url}/bot{TOKEN}/sendMessage",
                      data={"chat_id": "2", "text": "form", "reply_markup": '{"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}'})
    assert form.status_code == 200
    assert api.http.get(f"{api.url}/bot{TOKEN}/sendMessage", params={"chat_id": 3, "text": "query"}).status_code == 200
    assert [(m.chat_id, m.text) for m in api.messages] == [(1, "json"), (2, "form"), (3, "query")]
    assert api.messages[1].callback_data == ["a"]


def test_message_length_is_counted_after_entities_in_utf16_units(api):
    assert call(api, "sendMessage", chat_id=1, text="x" * 4096).status_code == 200
    assert call(api, "sendMessage", chat_id=1, text="&amp;" * 4096, parse_mode="HTML").status_code == 200
    too_long = call(api, "sendMessage", chat_id=1, text="x" * 4097)
    assert too_long.status_code == 400
    assert too_long.json()["description"] == "Bad Request: message is too long"
    assert call(api, "sendMessage", chat_id=1, text="🙂" * 2049).status_code == 400
    assert call(api, "sendMessage", chat_id=1, text="").status_code == 400
    assert len(api.messages) == 2


def test_html_is_parsed_roughly_as_telegram_does():
    assert parse_html("<b>bold</b> &amp; <i>it</i> &lt;b&gt; & x > y") == "bold & it <b> & x > y"
    assert parse_html('<a href="https://example.org">link</a> <tg-spoiler>s</tg-spoiler>') == "link s"
    for broken in ("<script>x</script>", "a < b", "<b>open", "<b><i>x</b></i>", "</b>", "<Bow>"):
        with pytest.raises(ApiError) as refused:
            parse_html(broken)
        assert refused.value.status == 400 and "can't parse entities" in refused.value.description


def test_unescaped_html_is_refused_at_send(api):
    response = call(api, "sendMessage", chat_id=1, text="<Bow> & Co", parse_mode="HTML")
    assert response.status_code == 400 and "Unsupported start tag" in response.json()["description"]
    assert api.messages == []


def test_the_overall_limit_is_a_sliding_one_second_window(api, clock):
    for chat in range(30):
        assert call(api, "sendMessage", chat_id=chat, text="hi").status_code == 200
        clock.now += 0.01  # 30 messages within 0.3 s
    refused = call(api, "sendMessage", chat_id=99, text="hi")
    assert refused.status_code == 429
    assert refused.json() == {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                              "parameters": {"retry_after": 1}}
    clock.now = 1000.0 + 0.999  # the first message is still inside the window
    assert call(api, "sendMessage", chat_id=99, text="hi").status_code == 429
    clock.now = 1000.0 + 1.0  # now it has left it: exactly one more fits
    assert call(api, "sendMessage", chat_id=99, text="hi").status_code == 200
    assert call(api, "sendMessage", chat_id=98, text="hi").status_code == 429
    assert api.count_429 == 3
    assert len(api.messages) == 31


def test_the_per_chat_limit_and_retry_after_rounding(api, clock):
    api.set_rate_limits(messages_per_second=None, per_chat_per_second=1)
    assert call(api, "sendMessage", chat_id=1, text="a").status_code == 200
    assert call(api, "sendMessage", chat_id=2, text="a").status_code == 200  # another chat has its own
    clock.now += 0.2
    refused = call(api, "sendMessage", chat_id=1, text="b")
    assert refused.status_code == 429 and refused.json()["parameters"]["retry_after"] == 1
    clock.now += 0.8
    assert call(api, "sendMessage", chat_id=1, text="b").status_code == 200
    assert api.count_429 == 1


def test_switches_block_fail_throttle_and_delay(api):
    api.block(5)
    blocked = call(api, "sendMessage", chat_id=5, text="hi")
    assert blocked.status_code == 403
    assert blocked.json()["description"] == "Forbidden: bot was blocked by the user"
    api.fail_next(2, status=502)
    assert [call(api, "sendMessage", chat_id=6, text="hi").status_code for _ in range(3)] == [502, 502, 200]
    api.throttle_next(1, retry_after=4)
    throttled = call(api, "sendMessage", chat_id=6, text="hi")
    assert throttled.status_code == 429 and throttled.json()["parameters"] == {"retry_after": 4}
    assert api.count_429 == 1
    api.fail_next(1, status=500, method=None)
    assert call(api, "getMe").status_code == 500
    assert [m.chat_id for m in api.messages] == [6]


def test_get_updates_serves_confirms_and_refuses_while_a_webhook_is_set(api):
    user = TelegramUser(42)
    first, second = user.message("one"), user.message("two")
    api.queue_update(first)
    api.queue_update(second)
    served = call(api, "getUpdates", timeout=0).json()["result"]
    assert [update["update_id"] for update in served] == [first["update_id"], second["update_id"]]
    assert call(api, "getUpdates", offset=second["update_id"], timeout=0).json()["result"] == [second]
    assert call(api, "getUpdates", offset=second["update_id"] + 1, timeout=0).json()["result"] == []
    assert call(api, "setWebhook", url="https://example.org/webhooks/telegram", secret_token="abc").json()["ok"]
    assert call(api, "getUpdates").status_code == 409
    assert call(api, "setWebhook", url="http://insecure.example.org/").status_code == 400
    assert call(api, "deleteWebhook").json()["result"] is True


def test_a_long_poll_returns_as_soon_as_an_update_arrives(api):
    update = TelegramUser(42).message("hello")
    threading.Timer(0.2, api.queue_update, args=(update,)).start()
    assert call(api, "getUpdates", timeout=10).json()["result"] == [update]


def test_files_are_described_by_getfile_and_downloaded_from_the_file_path(api):
    file_id = api.add_file(b"OggS data", file_path="voice/file_9.oga")
    described = call(api, "getFile", file_id=file_id).json()["result"]
    assert described == {"file_id": file_id, "file_unique_id": "U" + file_id, "file_size": 9,
                         "file_path": "voice/file_9.oga"}
    assert api.http.get(f"{api.url}/file/bot{TOKEN}/voice/file_9.oga").content == b"OggS data"
    assert api.http.get(f"{api.url}/file/bot123:WRONG/voice/file_9.oga").status_code == 401
    assert call(api, "getFile", file_id="nope").status_code == 400


def test_many_threads_at_once_lose_nothing_and_count_every_429(clock):
    with FakeTelegramAPI(TOKEN, messages_per_second=100, clock=clock) as api:  # the clock stands still
        with httpx.Client() as client, ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(
                lambda n: client.post(f"{api.url}/bot{TOKEN}/sendMessage", json={"chat_id": n % 7, "text": str(n)}).status_code,
                range(150),
            ))
        assert statuses.count(200) == 100 and statuses.count(429) == 50 and api.count_429 == 50
        assert len(api.messages) == 100
        for chat in range(7):
            ids = [message.message_id for message in api.messages_to(chat)]
            assert len(ids) == len(set(ids))


def test_stopping_ends_a_long_poll_in_progress():
    fake = FakeTelegramAPI(TOKEN).start()
    with httpx.Client() as client:
        poll = threading.Thread(target=lambda: client.post(f"{fake.url}/bot{TOKEN}/getUpdates", json={"timeout": 30}))
        poll.start()
        fake.wait_for(lambda: fake.calls_to("getUpdates"))
        fake.stop()
        poll.join(timeout=5)
    assert not poll.is_alive()
