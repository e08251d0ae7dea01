"""A worker killed with SIGKILL in the middle of a batch, then restarted: every message arrives.

The one duplicate the outbox cannot rule out is a send the provider accepted in the instant before the
killed worker recorded it (neither Telegram nor Twilio offers an idempotency key for sending). At most
one message per sender thread can be in that window; the test measures how many it actually saw.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

from sqlalchemy import func, select

from storage.database import make_engine, new_session
from storage.models import OutboxMessage
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.helpers import queue_telegram_messages

CHATS = 120
THREADS = 4


def _start_worker(database_url: str, api: FakeTelegramAPI) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET_KEY,
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": api.url,
        "DELIVERY_LEASE_SECONDS": "2",
        "DELIVERY_THREADS": str(THREADS),
    }
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "worker"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_killed_worker_loses_nothing_and_repeats_at_most_what_was_in_flight(database_url):
    queue_telegram_messages(database_url, secret_key=TEST_SECRET_KEY, chat_ids=range(700000, 700000 + CHATS))
    with FakeTelegramAPI() as api:
        api.delay(0.03)  # each send takes a moment, so the kill lands mid-batch
        worker = _start_worker(database_url, api)
        try:
            _wait(lambda: len(api.messages) >= 30, 60, "the first worker to send some messages")
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
            sent_before_kill = len(api.messages)
            assert sent_before_kill < CHATS, "the kill came after the batch finished; nothing was tested"
            worker = _start_worker(database_url, api)
            _wait(lambda: len({m.chat_id for m in api.messages}) == CHATS, 90, "every chat to get its message")
            engine = make_engine(database_url)
            _wait(lambda: _count_sent(engine) == CHATS, 30, "the outbox to record every send")
            engine.dispose()
        finally:
            worker.terminate()
            worker.wait(timeout=10)

        per_chat = Counter(message.chat_id for message in api.messages)
        duplicates = sum(count - 1 for count in per_chat.values())
        print(f"sent before SIGKILL: {sent_before_kill}; duplicates after restart: {duplicates}")
        assert set(per_chat) == {700000 + n for n in range(CHATS)}
        assert duplicates <= THREADS


def _count_sent(engine) -> int:
    with new_session(engine) as session:
        query = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "sent")
        return session.execute(query).scalar_one()
