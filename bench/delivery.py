"""bench/delivery.py: how close delivery runs to Telegram's limit without being told off.

Sends 1,000 messages to 1,000 chats through the fake Bot API (tests/fakes/telegram_api.py), which
enforces 30 messages a second overall and answers 429 with retry_after beyond it, and prints the
achieved rate divided by the limit (target >= 0.9) and the number of 429s (target 0), for:
  - one `safer-homes worker` process on SQLite (in-process pacing), and
  - two worker processes on PostgreSQL sharing the limit through Redis (RATE_LIMIT_STORAGE_URL),
plus the webhook-to-reply latency of POST /webhooks/telegram (parse, flow, commit, enqueue and the
immediate send to the fake) at p50/p95. Loopback only; every loop is bounded in count and time.

    .venv/bin/python bench/delivery.py [--quick]

The last line is JSON: rate_over_limit, count_429, duplicates per setup, and webhook p50/p95.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from storage.seed import postgres_schema_of_its_own, prepare_database  # noqa: E402
from tests.fakes.telegram_api import FakeTelegramAPI, TelegramUser  # noqa: E402
from tests.helpers import queue_telegram_messages  # noqa: E402

SECRET = "bench-delivery-" + secrets.token_hex(16)
LIMIT = 30
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
TIME_BUDGET_SECONDS = 240


def queue(url: str, chats: int) -> None:
    queue_telegram_messages(url, secret_key=SECRET, chat_ids=range(900000, 900000 + chats),
                            text="Your report TH-0000-{n:04d} has an update.")


def run_workers(url: str, api: FakeTelegramAPI, workers: int, chats: int, rate_storage: str) -> dict:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, "TELEGRAM_BOT_TOKEN": api.token,
           "TELEGRAM_API_BASE_URL": api.url, "RATE_LIMIT_STORAGE_URL": rate_storage}
    executable = Path(sys.executable).with_name("safer-homes")
    processes = [subprocess.Popen([str(executable), "worker"], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True) for _ in range(workers)]
    deadline = time.monotonic() + TIME_BUDGET_SECONDS / 2
    try:
        while len({m.chat_id for m in api.messages}) < chats and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)
    arrivals = sorted(m.at for m in api.messages)
    messages = api.messages
    per_chat = Counter(m.chat_id for m in messages)
    delivered = len(per_chat)
    elapsed = (arrivals[-1] - arrivals[0]) if arrivals else None
    rate = (len(messages) - 1) / elapsed if elapsed else float("nan")
    return {
        "workers": workers,
        "delivered_chats": delivered,
        "messages_seen": len(messages),
        "duplicates": sum(count - 1 for count in per_chat.values()),
        "count_429": api.count_429,
        "seconds": round(elapsed, 2) if elapsed else None,
        "rate_per_second": round(rate, 2),
        "rate_over_limit": round(rate / LIMIT, 3),
    }


def webhook_latency(url: str, samples: int) -> dict:
    from bot.conversations import forget_reference_data
    from webhook import create_app

    with FakeTelegramAPI(messages_per_second=None) as api:
        forget_reference_data()
        app = create_app({"database_url": url, "secret_key": SECRET, "telegram_bot_token": api.token,
                          "telegram_webhook_secret": "bench-secret", "telegram_api_base_url": api.url})
        client = app.test_client()
        timings = []
        for n in range(samples):
            user = TelegramUser(800000 + n, language_code="bn")
            for update in (user.message("হ্যালো"),):  # one message per chat: per-chat pacing (1/s) would add its wait
                start = time.perf_counter()
                response = client.post("/webhooks/telegram", json=update,
                                       headers={"X-Telegram-Bot-Api-Secret-Token": "bench-secret"})
                timings.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, response.status_code
        app.extensions["safer_homes.engine"].dispose()
        replies = len(api.messages)
    timings.sort()
    return {"samples": len(timings), "replies_at_fake": replies,
            "p50_ms": round(statistics.median(timings), 2),
            "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2)}


def clear_redis() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter("safer-homes:pace:*"):  # only the pacer's slots, nothing else in Redis
        client.delete(key)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="300 chats instead of 1,000")
    args = parser.parse_args()
    chats = 300 if args.quick else 1000
    started = time.monotonic()
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-delivery-") as tmp:
        sqlite_url = f"sqlite:///{tmp}/delivery.db"
        prepare_database(sqlite_url)
        queue(sqlite_url, chats)
        with FakeTelegramAPI(messages_per_second=LIMIT) as api:
            results["sqlite_1_worker"] = run_workers(sqlite_url, api, 1, chats, "memory://")

        pg_url, drop = postgres_schema_of_its_own(POSTGRES_URL, prefix="bench")
        try:
            prepare_database(pg_url)
            queue(pg_url, chats)
            clear_redis()
            with FakeTelegramAPI(messages_per_second=LIMIT) as api:
                results["postgresql_2_workers"] = run_workers(pg_url, api, 2, chats, REDIS_URL)
        finally:
            drop()

        latency_url = f"sqlite:///{tmp}/latency.db"
        prepare_database(latency_url)
        results["webhook"] = webhook_latency(latency_url, 50 if args.quick else 200)

    print(f"{chats} messages to {chats} chats through the fake Bot API enforcing {LIMIT}/s overall")
    print(f"{'setup':<24}{'chats':>7}{'seen':>7}{'dupes':>7}{'429s':>6}{'seconds':>9}{'msg/s':>8}{'rate/limit':>12}")
    for name in ("sqlite_1_worker", "postgresql_2_workers"):
        r = results[name]
        print(f"{name:<24}{r['delivered_chats']:>7}{r['messages_seen']:>7}{r['duplicates']:>7}{r['count_429']:>6}"
              f"{r['seconds']:>9}{r['rate_per_second']:>8}{r['rate_over_limit']:>12}")
    w = results["webhook"]
    print(f"webhook -> reply at the fake (parse, flow, commit, enqueue, send), {w['samples']} updates: "
          f"p50 {w['p50_ms']} ms, p95 {w['p95_ms']} ms")
    print(f"finished in {time.monotonic() - started:.1f} s")
    print(json.dumps({"bench": "delivery", "quick": args.quick, "chats": chats, "limit_per_second": LIMIT,
                      **{name: results[name] for name in ("sqlite_1_worker", "postgresql_2_workers")},
                      "webhook_p50_ms": w["p50_ms"], "webhook_p95_ms": w["p95_ms"]}))


if __name__ == "__main__":
    main()
