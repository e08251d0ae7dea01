"""The language hint (bot/language_hint.py): how often it is right on the held set, the memory it adds, and
its speed against a plain script check measured in the same run.

    .venv/bin/python bench/language_hint.py [--quick]

Accuracy: every held first message of tests/data/language_hint, per language: right (the first language
suggested is one expected), wrong (another language first), no hint (where one was expected).

Memory, read from /proc (VmRSS) in this process: before anything of the hint is imported, after importing
it (lingua, hanzidentifier), after building the detector, after the first 100 detections (lingua loads each
language's model on first need) and after the whole held set. Then in a fresh process as the web service
runs it (webhook.create_app on a migrated SQLite file): its RSS before any first message, and after one
first message in each shipped language through the web chat API, the detector built and every model
loaded; `added_over_web_process` is what the hint adds as a share of that process.

Speed: suggest() against flows.home.looks_bengali (the script check the flows did alone before) on the
same messages, in interleaved rounds; `suggest_over_script_check` is the median ratio of time per message.
Nothing here is asserted; the last line is one line of JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
HELD_SET = REPO / "tests" / "data" / "language_hint"


def held_set(code: str) -> list[tuple[frozenset[str], str]]:
    """(expected codes or "-", text) per held message, as tests/bot/test_language_hint.py reads them; read
    here too so that measuring the import of the hint is not spoiled by importing the test, which imports it."""
    lines = (HELD_SET / f"{code}.txt").read_text(encoding="utf-8").splitlines()
    return [(frozenset(expected.split("|")), text) for expected, text
            in (line.split("\t", 1) for line in lines if line.strip() and not line.startswith("#"))]


def rss_mb(pid: str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc")


# Run in a fresh interpreter: the web process as `safer-homes serve` builds it, then one first message per
# language through the web chat API. Prints its RSS before and after as JSON.
WEB_PROCESS = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
def rss():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
from storage.seed import prepare_database
from webhook import create_app
url = "sqlite:///" + sys.argv[2]
prepare_database(url)
app = create_app({"database_url": url, "secret_key": "bench-language-hint-" + "0123456789abcdef" * 3})
client = app.test_client()
client.post("/chat/api/messages", json={"session": "warm-up-session-0000", "choice": "start"})
before = rss()
first = json.loads(sys.argv[3])
for n, (code, text) in enumerate(first.items()):
    answer = client.post("/chat/api/messages", json={"session": f"bench-first-{n:08d}", "text": text}).get_json()
    assert answer["replies"][-1]["choices"][0]["key"] == f"lang:{code}", (code, answer)
print(json.dumps({"before": before, "after": rss()}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer speed rounds")
    arguments = parser.parse_args()

    # The baseline: this script with what it needs anyway (the shipped languages, the held set's reader).
    from flows import i18n
    from flows.home import looks_bengali

    held = {language.code: held_set(language.code) for language in i18n.LANGUAGES}
    memory = {"start": rss_mb()}
    from bot import language_hint  # measured: what importing the hint costs (lingua, hanzidentifier)

    def outcome(expected: frozenset[str], text: str) -> str:
        suggested = language_hint.suggest(text)
        first = suggested[0] if suggested else "-"
        return "right" if first in expected else "none" if first == "-" else "wrong"

    memory["imported"] = rss_mb()
    language_hint.detector_languages()  # builds it
    memory["built"] = rss_mb()

    # Round-robin over the languages, so the first 100 detections meet every language's model.
    mixed = [held[code][n] for n in range(max(map(len, held.values()))) for code in held if n < len(held[code])]
    for expected, text in mixed[:100]:
        language_hint.suggest(text)
    memory["after_100"] = rss_mb()

    print(f"{'language':<9} {'held':>5} {'right':>6} {'wrong':>6} {'no hint':>8} {'right %':>8}")
    accuracy = {}
    for code, messages in held.items():
        outcomes = [outcome(expected, text) for expected, text in messages]
        counts = {kind: outcomes.count(kind) for kind in ("right", "wrong", "none")}
        accuracy[code] = {**counts, "held": len(messages), "right_share": round(counts["right"] / len(messages), 3)}
        print(f"{code:<9} {len(messages):>5} {counts['right']:>6} {counts['wrong']:>6} {counts['none']:>8} "
              f"{100 * counts['right'] / len(messages):>7.1f}%")
    total = {kind: sum(row[kind] for row in accuracy.values()) for kind in ("held", "right", "wrong", "none")}
    print(f"{'all':<9} {total['held']:>5} {total['right']:>6} {total['wrong']:>6} {total['none']:>8} "
          f"{100 * total['right'] / total['held']:>7.1f}%")
    memory["after_held_set"] = rss_mb()

    texts = [text for _expected, text in mixed]
    rounds = 5 if arguments.quick else 15
    ratios, per_second = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        for text in texts:
            looks_bengali(text)
        script_check = time.perf_counter() - started
        started = time.perf_counter()
        for text in texts:
            language_hint.suggest(text)
        hint = time.perf_counter() - started
        ratios.append(hint / script_check)
        per_second.append(len(texts) / hint)

    with tempfile.TemporaryDirectory() as directory:
        from tests.journeys.test_language_hint_journeys import FIRST_MESSAGES  # one sentence per language

        run = subprocess.run([sys.executable, "-c", WEB_PROCESS, str(REPO), str(Path(directory) / "bench.db"),
                              json.dumps(FIRST_MESSAGES)], capture_output=True, text=True, check=True)
        web = json.loads(run.stdout.strip().splitlines()[-1])

    print()
    print("memory (RSS, MB)")
    print(f"  this process at start               {memory['start']:7.1f}")
    print(f"  after importing the hint            {memory['imported']:7.1f}  (+{memory['imported'] - memory['start']:.1f})")
    print(f"  after building the detector         {memory['built']:7.1f}  (+{memory['built'] - memory['imported']:.1f})")
    print(f"  after the first 100 detections      {memory['after_100']:7.1f}  (+{memory['after_100'] - memory['built']:.1f})")
    print(f"  after the whole held set            {memory['after_held_set']:7.1f}  "
          f"(+{memory['after_held_set'] - memory['after_100']:.1f})")
    added = memory["after_held_set"] - memory["start"]
    print(f"  added in all                        {added:7.1f}  ({added / memory['start']:.1f} x the bare process)")
    web_added = web["after"] - web["before"]
    print(f"  web process (create_app), before    {web['before']:7.1f}")
    print(f"  after a first message per language  {web['after']:7.1f}  (+{web_added:.1f}, "
          f"{100 * web_added / web['before']:.0f} % of the process)")
    print()
    print(f"speed: {statistics.median(per_second):,.0f} hints per second; suggest() takes "
          f"{statistics.median(ratios):.0f} x the time of the Bengali-script check alone "
          f"(median of {rounds} rounds over {len(texts)} messages)")

    print(json.dumps({
        "accuracy": accuracy,
        "right_share": round(total["right"] / total["held"], 3),
        "wrong_share": round(total["wrong"] / total["held"], 3),
        "rss_start_mb": round(memory["start"], 1),
        "rss_imported_mb": round(memory["imported"], 1),
        "rss_built_mb": round(memory["built"], 1),
        "rss_after_100_mb": round(memory["after_100"], 1),
        "rss_after_held_set_mb": round(memory["after_held_set"], 1),
        "added_mb": round(added, 1),
        "added_over_start": round(added / memory["start"], 2),
        "web_process_mb": round(web["before"], 1),
        "web_added_mb": round(web_added, 1),
        "added_over_web_process": round(web_added / web["before"], 3),
        "hints_per_second": round(statistics.median(per_second)),
        "suggest_over_script_check": round(statistics.median(ratios), 1),
    }))


if __name__ == "__main__":
    main()
