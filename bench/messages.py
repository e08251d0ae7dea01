"""Messages per second through POST /chat/api/messages, against two baselines measured in the same run.

    .venv/bin/python bench/messages.py [--quick] [--profile]

Three variants answer the same URL, driven the same way (Flask's test client, no sockets), in
interleaved rounds so that machine noise falls on all of them alike:

  echo   a bare Flask endpoint that parses the JSON body and returns it;
  floor  a bare Flask endpoint that parses the JSON body, inserts one row and commits, on an engine
         from storage.database.make_engine (the product's PRAGMAs and BEGIN IMMEDIATE): the least any
         message that must not be lost can cost;
  full   the product (webhook.create_app) on a fresh migrated, seeded SQLite file: parse, flow,
         database commit, driven by whole report journeys of distinct web chat sessions.

Ratios are time per message (full / floor, full / echo): above 1 means the full path is slower.
Each round gives one ratio; the reported ratio is the median over rounds. p50/p95 are the full path's
per-message latencies over every measured round.

Then `safer-homes serve` (its defaults: one process, four threads) is started on 127.0.0.1 with its own fresh database, sent 1,000
messages over HTTP, and the RSS of its master and worker processes is read from /proc.

Targets (design.md, "Benchmarks"): full_over_floor <= 5 (3 is the goal after it), rss_mb < 150.
Nothing here asserts a timing; the last line printed is one line of JSON with the figures.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import string
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from flask import Flask, jsonify, request  # noqa: E402
from sqlalchemy import event, func, select, text  # noqa: E402

from storage.database import SQLITE_PRAGMAS, make_engine, new_session  # noqa: E402
from storage.models import Report  # noqa: E402
from storage.seed import prepare_database  # noqa: E402

URL_PATH = "/chat/api/messages"
SECRET_KEY = "bench-messages-" + "0123456789abcdef" * 3
# One address sends every message here (see make_full_app): a per-address limit no run reaches.
BENCH_ADDRESS_LIMIT = "1000000 per minute"
SESSION_ALPHABET = string.ascii_letters + string.digits

# One whole report journey, as a web chat resident would send it.
JOURNEY = (
    {"choice": "start"},
    {"choice": "lang:so"},
    {"choice": "menu:report"},
    {"choice": "danger:no"},
    {"choice": "cat:noise"},
    {"text": "Brick Lane"},
    {"choice": "when:now"},
    {"text": "loud music every night"},
    {"choice": "privacy:anonymous"},
    {"choice": "done"},
    {"choice": "confirm:yes"},
)
STEPS = len(JOURNEY)

VARIANTS = ("echo", "floor", "full")

# (rounds, journeys per round and variant, HTTP messages for RSS, overall time budget in seconds)
# Many short rounds pair the variants closely in time, so bursts of load from elsewhere hit all three.
FULL_PLAN = dict(rounds=60, journeys=14, http_messages=1000, budget=240.0)
QUICK_PLAN = dict(rounds=14, journeys=5, http_messages=1000, budget=45.0)
SERVE_RESERVE_SECONDS = 30.0  # what the serve measurement may need (about 6 s here)


class BenchError(RuntimeError):
    pass


# --------------------------------------------------------------------------------------------------
# set-up


def session_id() -> str:
    return "".join(secrets.choice(SESSION_ALPHABET) for _ in range(24))


def prepared_database(directory: Path, name: str) -> str:
    """A fresh SQLite file, migrated and seeded the way `script/server` prepares one."""
    url = f"sqlite:///{directory / name}"
    prepare_database(url)
    return url


def make_echo_app() -> Flask:
    app = Flask("bench_echo")

    @app.post(URL_PATH)
    def echo():
        payload = _parse(request.get_data(cache=False))
        if not isinstance(payload, dict):
            return jsonify(error="The body must be a JSON object."), 400
        return jsonify(payload)

    return app


FLOOR_DDL = (
    "CREATE TABLE IF NOT EXISTS bench_message ("
    " id INTEGER PRIMARY KEY, session TEXT NOT NULL, body TEXT NOT NULL, received_at REAL NOT NULL)"
)
FLOOR_INSERT = text("INSERT INTO bench_message (session, body, received_at) VALUES (:session, :body, :received_at)")


def make_floor_app(url: str):
    engine = make_engine(url)  # the product's PRAGMAs and BEGIN IMMEDIATE
    with engine.begin() as connection:
        connection.exec_driver_sql(FLOOR_DDL)
    app = Flask("bench_floor")

    @app.post(URL_PATH)
    def floor():
        body = request.get_data(cache=False)
        payload = _parse(body)
        if not isinstance(payload, dict) or not isinstance(payload.get("session"), str):
            return jsonify(error="The body must be a JSON object with a session."), 400
        with engine.begin() as connection:  # one insert, one commit
            connection.execute(
                FLOOR_INSERT, {"session": payload["session"], "body": body.decode(), "received_at": time.time()}
            )
        return jsonify(stored=True)

    return app, engine


def make_full_app(url: str):
    from bot.conversations import forget_reference_data
    from webhook import create_app

    forget_reference_data()
    # Every simulated resident comes from 127.0.0.1, so the per-address flood limit is raised out of reach;
    # the counters still run for every message, and their cost is part of what is measured.
    from bot.flood import parse_flood_limits

    app = create_app({"database_url": url, "secret_key": SECRET_KEY,
                      "flood_limit_per_address": parse_flood_limits("FLOOD_LIMIT_PER_ADDRESS", BENCH_ADDRESS_LIMIT)})
    return app, app.extensions["safer_homes.engine"]


def _parse(body: bytes):
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def effective_pragmas(engine) -> dict:
    names = ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
    with engine.connect() as connection:
        return {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar() for name in names}


# --------------------------------------------------------------------------------------------------
# driving the variants


def journey_bodies(journeys: int) -> list[tuple[int, bytes]]:
    """(step, body) for `journeys` distinct sessions, step-major: many residents talking at once."""
    sessions = [session_id() for _ in range(journeys)]
    return [
        (step, json.dumps({"session": session, **message}).encode())
        for step, message in enumerate(JOURNEY)
        for session in sessions
    ]


def run_batch(client, bodies, *, check_full: bool) -> list[int]:
    """Post every body; return the per-message latencies in ns. Checks happen outside the timer."""
    latencies = []
    acknowledged = 0
    perf = time.perf_counter_ns
    for step, body in bodies:
        started = perf()
        response = client.post(URL_PATH, data=body, content_type="application/json")
        latencies.append(perf() - started)
        if response.status_code != 200:
            raise BenchError(f"{response.status_code} for {body!r}: {response.data[:300]!r}")
        if check_full and step == STEPS - 1:
            replies = response.get_json()["replies"]
            if not any("TH-" in reply["text"] for reply in replies):
                raise BenchError(f"journey did not reach the acknowledgement: {replies!r}")
            acknowledged += 1
    if check_full and acknowledged != len(bodies) // STEPS:
        raise BenchError("not every journey was acknowledged")
    return latencies


def count_statements(engine, client, journeys: int) -> dict:
    """SQL statements and commits per message on the full path (a separate, untimed batch)."""
    counts = {"statements": 0, "commits": 0}

    def on_execute(*_args):
        counts["statements"] += 1

    def on_commit(_conn):
        counts["commits"] += 1

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    try:
        bodies = journey_bodies(journeys)
        run_batch(client, bodies, check_full=True)
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)
    return {
        "sql_per_message": round(counts["statements"] / len(bodies), 2),
        "commits_per_message": round(counts["commits"] / len(bodies), 2),
    }


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    index = max(0, min(len(sorted_values) - 1, round(fraction * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


# --------------------------------------------------------------------------------------------------
# RSS of `safer-homes serve`


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def proc_status_kb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def proc_pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:  # fields[0] is the state, fields[1] the parent pid
            found.append(int(entry))
    return found


def measure_serve_rss(directory: Path, messages: int, deadline: float) -> dict:
    url = prepared_database(directory, "serve.db")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    executable = Path(sys.executable).with_name("safer-homes")
    if not executable.exists():
        raise BenchError(f"{executable} is missing: install the project into the virtualenv")
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "TWILIO_", "LIBRETRANSLATE_", "DATABASE_URL", "SECRET_KEY"))
    }
    env.update(DATABASE_URL=url, SECRET_KEY=SECRET_KEY, TRANSLATOR="none", PYTHONUNBUFFERED="1",
               FLOOD_LIMIT_PER_ADDRESS=BENCH_ADDRESS_LIMIT)
    log_path = directory / "serve.log"
    # Never through a proxy: everything here stays on 127.0.0.1.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def post(payload: dict) -> tuple[dict, int]:
        data = json.dumps(payload).encode()
        req = urllib.request.Request(base + URL_PATH, data=data, headers={"Content-Type": "application/json"})
        started = time.perf_counter_ns()
        with opener.open(req, timeout=15) as response:
            body = response.read()
        return json.loads(body), time.perf_counter_ns() - started

    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [str(executable), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=directory, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        ready_by = min(deadline, time.monotonic() + 30)
        while True:
            if server.poll() is not None:
                raise BenchError(f"safer-homes serve exited ({server.returncode}):\n{_tail(log_path)}")
            try:
                with opener.open(base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > ready_by:
                raise BenchError(f"safer-homes serve did not answer /healthz in time:\n{_tail(log_path)}")
            time.sleep(0.2)

        workers = children_of(server.pid)
        if len(workers) != 1:
            raise BenchError(f"expected one gunicorn worker under {server.pid}, found {workers}")
        worker = workers[0]
        start_worker_kb = proc_status_kb(worker, "VmRSS")

        sent = acknowledged = 0
        latencies = []
        started = time.perf_counter()
        while sent < messages:
            if time.monotonic() > deadline:
                raise BenchError(f"out of time after {sent} HTTP messages")
            session = session_id()
            for step, message in enumerate(JOURNEY):
                if sent == messages:
                    break
                reply, elapsed = post({"session": session, **message})
                latencies.append(elapsed)
                sent += 1
                if step == STEPS - 1:
                    if not any("TH-" in r["text"] for r in reply["replies"]):
                        raise BenchError(f"HTTP journey did not reach the acknowledgement: {reply!r}")
                    acknowledged += 1
        wall = time.perf_counter() - started

        master_kb = proc_status_kb(server.pid, "VmRSS")
        worker_kb = proc_status_kb(worker, "VmRSS")
        worker_hwm_kb = proc_status_kb(worker, "VmHWM")
        pss_kb = proc_pss_kb(server.pid) + proc_pss_kb(worker)
    finally:
        _stop(server)

    engine = make_engine(url)
    with new_session(engine) as session:
        stored = session.execute(select(func.count()).select_from(Report)).scalar_one()
    engine.dispose()
    if stored != acknowledged:
        raise BenchError(f"serve acknowledged {acknowledged} reports but the database holds {stored}")
    latencies.sort()
    return {
        "http_messages": sent,
        "http_reports": stored,
        "http_messages_per_second": round(sent / wall, 1),
        "http_p50_ms": round(percentile(latencies, 0.50) / 1e6, 2),
        "http_p95_ms": round(percentile(latencies, 0.95) / 1e6, 2),
        "rss_mb": round((master_kb + worker_kb) / 1024, 1),
        "rss_master_mb": round(master_kb / 1024, 1),
        "rss_worker_mb": round(worker_kb / 1024, 1),
        "rss_worker_start_mb": round(start_worker_kb / 1024, 1),
        "rss_worker_peak_mb": round(worker_hwm_kb / 1024, 1),
        "pss_mb": round(pss_kb / 1024, 1) if pss_kb else None,
    }


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)  # gunicorn's graceful stop; the worker goes with it
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)  # only the group this script started
        server.wait(timeout=5)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --------------------------------------------------------------------------------------------------
# main


def load_average() -> float | None:
    try:
        with open("/proc/loadavg") as loadavg:
            return float(loadavg.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def filesystem_of(path: Path) -> str:
    best, kind = "", "?"
    try:
        with open("/proc/mounts") as mounts:
            for line in mounts:
                _device, mount_point, fs_type = line.split()[:3]
                if str(path).startswith(mount_point) and len(mount_point) > len(best):
                    best, kind = mount_point, fs_type
    except OSError:
        pass
    return kind


def profile_full_path(client, journeys: int) -> str:
    """cProfile of an extra, untimed batch: top 15 by cumulative time, the same for our own code only,
    and top 15 by own time. cProfile roughly triples the Python cost, so read shares, not milliseconds."""
    import re

    bodies = journey_bodies(journeys)
    profiler = cProfile.Profile()
    profiler.enable()
    run_batch(client, bodies, check_full=True)
    profiler.disable()
    out = io.StringIO()
    ours = re.escape(str(REPO)) + r"/(bot|storage|flows|web)/|/webhook\.py"
    out.write("--- top 15 by cumulative time ---\n")
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(15)
    out.write("--- our code (bot/, storage/, flows/, web/), top 15 by cumulative time ---\n")
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(ours, 15)
    out.write("--- top 15 by own time ---\n")
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
    text_out = out.getvalue().replace(str(REPO) + "/", "").replace(sys.prefix + "/", "")
    return f"cProfile of the full path, {len(bodies)} messages:\n" + text_out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds (for CI)")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of the full path")
    parser.add_argument("--no-serve", action="store_true", help="skip the RSS measurement of `safer-homes serve`")
    args = parser.parse_args(argv)
    plan = QUICK_PLAN if args.quick else FULL_PLAN
    began = time.monotonic()
    deadline = began + plan["budget"]

    directory = Path(tempfile.mkdtemp(prefix="bench-messages-"))
    try:
        return _run(args, plan, directory, began, deadline)
    except BenchError as error:
        print(f"bench/messages.py failed: {error}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _run(args, plan, directory: Path, began: float, deadline: float) -> int:
    full_url = prepared_database(directory, "full.db")
    floor_url = f"sqlite:///{directory / 'floor.db'}"
    full_app, full_engine = make_full_app(full_url)
    floor_app, floor_engine = make_floor_app(floor_url)
    clients = {"echo": make_echo_app().test_client(), "floor": floor_app.test_client(), "full": full_app.test_client()}

    pragmas_full, pragmas_floor = effective_pragmas(full_engine), effective_pragmas(floor_engine)
    if pragmas_full != pragmas_floor:
        raise BenchError(f"the floor's SQLite settings differ from the product's: {pragmas_floor} vs {pragmas_full}")
    load_before = load_average()
    print(f"SQLite {sqlite3.sqlite_version}, files under {directory} ({filesystem_of(directory)}); "
          f"{os.cpu_count()} CPUs, load average {load_before}")
    print("pragmas applied by storage.database.make_engine: " + "; ".join(SQLITE_PRAGMAS) + "; BEGIN IMMEDIATE")
    print("in force (floor = full): " + ", ".join(f"{k}={v}" for k, v in pragmas_full.items()))

    journeys = plan["journeys"]
    # Warm-up, not measured: first requests load templates, translations, reference data, pools.
    for name in VARIANTS:
        run_batch(clients[name], journey_bodies(2), check_full=name == "full")
    sql_counts = count_statements(full_engine, clients["full"], 3)

    per_message = {name: [] for name in VARIANTS}  # one mean per round, in ns
    latencies = {name: [] for name in VARIANTS}
    rounds_done = 0
    for round_number in range(plan["rounds"]):
        # Stop early rather than overrun, leaving time for the serve measurement.
        if round_number and time.monotonic() > deadline - (0 if args.no_serve else SERVE_RESERVE_SECONDS):
            print(f"(time budget: stopping after {rounds_done} rounds)")
            break
        order = VARIANTS[round_number % 3:] + VARIANTS[:round_number % 3]  # rotate who goes first
        for name in order:
            batch = run_batch(clients[name], journey_bodies(journeys), check_full=name == "full")
            per_message[name].append(statistics.fmean(batch))
            latencies[name].extend(batch)
        rounds_done += 1

    with new_session(full_engine) as session:
        reports = session.execute(select(func.count()).select_from(Report)).scalar_one()
    with floor_engine.connect() as connection:
        floor_rows = connection.exec_driver_sql("SELECT count(*) FROM bench_message").scalar_one()
    expected_reports = (2 + 3 + rounds_done * journeys)
    if reports != expected_reports:
        raise BenchError(f"the database holds {reports} reports, expected {expected_reports}")
    if floor_rows != (2 + rounds_done * journeys) * STEPS:
        raise BenchError(f"the floor table holds {floor_rows} rows")

    profile_text = profile_full_path(clients["full"], 40) if args.profile else None
    full_app.extensions["safer_homes.engine"].dispose()
    floor_engine.dispose()

    serve = None
    if not args.no_serve:
        serve = measure_serve_rss(directory, plan["http_messages"], deadline)

    ratios_floor = [f / b for f, b in zip(per_message["full"], per_message["floor"])]
    ratios_echo = [f / b for f, b in zip(per_message["full"], per_message["echo"])]
    figures = {}
    print()
    print(f"{rounds_done} interleaved rounds x {journeys * STEPS} messages per variant "
          f"({journeys} report journeys of {STEPS} messages), Flask test client, one thread;\n"
          f"msg/s and ms/msg are medians over rounds, p50/p95/max over every message")
    print(f"{'variant':<8} {'msg/s':>9} {'ms/msg':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  {'round spread (ms/msg)':<22}")
    for name in VARIANTS:
        median_ns = statistics.median(per_message[name])
        ordered = sorted(latencies[name])
        figures[name] = {
            "messages_per_second": round(1e9 / median_ns, 1),
            "ms_per_message": round(median_ns / 1e6, 3),
            "p50_ms": round(percentile(ordered, 0.50) / 1e6, 3),
            "p95_ms": round(percentile(ordered, 0.95) / 1e6, 3),
        }
        spread = f"{min(per_message[name]) / 1e6:.3f} .. {max(per_message[name]) / 1e6:.3f}"
        print(f"{name:<8} {figures[name]['messages_per_second']:>9.1f} {figures[name]['ms_per_message']:>8.3f} "
              f"{figures[name]['p50_ms']:>8.3f} {figures[name]['p95_ms']:>8.3f} {ordered[-1] / 1e6:>8.2f}  {spread}")

    full_over_floor = statistics.median(ratios_floor)
    full_over_echo = statistics.median(ratios_echo)
    print()
    print(f"full / floor (time per message): {full_over_floor:.2f}x   "
          f"(rounds {min(ratios_floor):.2f} .. {max(ratios_floor):.2f}; target <= 5, goal 3)")
    print(f"full / echo  (time per message): {full_over_echo:.1f}x   "
          f"(rounds {min(ratios_echo):.1f} .. {max(ratios_echo):.1f})")
    print(f"full path: {sql_counts['sql_per_message']} SQL statements and {sql_counts['commits_per_message']} "
          f"commits per message; {reports} reports stored and acknowledged (TH-...)")
    if serve:
        print()
        print(f"safer-homes serve (its defaults), {serve['http_messages']} messages over HTTP on 127.0.0.1 "
              f"({serve['http_reports']} reports): {serve['http_messages_per_second']} msg/s, "
              f"p50 {serve['http_p50_ms']} ms, p95 {serve['http_p95_ms']} ms")
        print(f"RSS after: master {serve['rss_master_mb']} MB + worker {serve['rss_worker_mb']} MB = "
              f"{serve['rss_mb']} MB (target < 150); worker at start {serve['rss_worker_start_mb']} MB, "
              f"peak {serve['rss_worker_peak_mb']} MB; PSS of both {serve['pss_mb']} MB")
    if profile_text:
        print()
        print(profile_text)
    elapsed = time.monotonic() - began
    load_after = load_average()
    print(f"\nfinished in {elapsed:.1f} s; load average {load_before} before, {load_after} after "
          f"(other work on the machine widens the round spread; the medians absorb most of it)")

    result = {
        "bench": "messages",
        "quick": bool(args.quick),
        "full_over_floor": round(full_over_floor, 3),
        "full_over_echo": round(full_over_echo, 2),
        "p50_ms": figures["full"]["p50_ms"],
        "p95_ms": figures["full"]["p95_ms"],
        "rss_mb": serve["rss_mb"] if serve else None,
        "messages_per_second": {name: figures[name]["messages_per_second"] for name in VARIANTS},
        "ms_per_message": {name: figures[name]["ms_per_message"] for name in VARIANTS},
        "p50_ms_by_variant": {name: figures[name]["p50_ms"] for name in VARIANTS},
        "p95_ms_by_variant": {name: figures[name]["p95_ms"] for name in VARIANTS},
        "rounds": rounds_done,
        "messages_per_round": journeys * STEPS,
        "reports": reports,
        **sql_counts,
        "sqlite_pragmas": pragmas_full,
        "seconds": round(elapsed, 1),
        "load_average": [load_before, load_after],
    }
    if serve:
        result.update({key: value for key, value in serve.items() if key != "rss_mb"})
    print(json.dumps(result, sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
