"""The vulnerability audit of the locked dependencies (script/audit runs it in .venv-tools).

pip-audit checks every pin of requirements/lock.txt and requirements/pip.txt against PyPI's vulnerability
feed (https://pypi.org/pypi/<name>/<version>/json). Some networks (this project's machines among them)
reach PyPI through a mirror that answers that per-version address with 404, and pip-audit then *skips*
the pin and still says "No known vulnerabilities found". So a skipped pin is looked up again at the
project's address (https://pypi.org/pypi/<name>/json), whose "vulnerabilities" are those of the latest
release: a pin that is the latest release is audited that way; an older one is named as not audited.

Fails (exit 1) on a known vulnerability not accepted in requirements/audit-ignore.txt, on an accepted
one whose review date has passed, and when nothing at all could be audited (the feed unreachable). Pins
left unaudited beside audited ones are listed loudly; `script/lock --upgrade` brings them to the latest
release, where they are audited.
"""
from __future__ import annotations

import datetime
import json
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKS = [ROOT / "requirements" / "lock.txt", ROOT / "requirements" / "pip.txt"]
IGNORE_FILE = ROOT / "requirements" / "audit-ignore.txt"
_PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)", re.M)
_IGNORE = re.compile(r"^(\S+)\s+(\d{4}-\d{2}-\d{2})\s+(\S.*)$")


def accepted_advisories(today: datetime.date) -> tuple[dict[str, str], list[str]]:
    """requirements/audit-ignore.txt: {advisory id: reason}, and the problems with the file itself."""
    accepted, problems = {}, []
    for number, line in enumerate(IGNORE_FILE.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _IGNORE.match(line)
        if not match:
            problems.append(f"{IGNORE_FILE.name} line {number}: use 'ID  YYYY-MM-DD  reason'")
            continue
        advisory, review_by, reason = match.groups()
        if datetime.date.fromisoformat(review_by) < today:
            problems.append(f"{IGNORE_FILE.name} line {number}: {advisory} was to be reviewed by {review_by}")
        accepted[advisory] = reason
    return accepted, problems


def run_pip_audit(accepted: dict[str, str]) -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "audit.json"
        command = [sys.executable, "-m", "pip_audit", "--require-hashes", "--disable-pip", "--vulnerability-service",
                   "pypi", "--format", "json", "--output", str(report), "--progress-spinner", "off"]
        for lock in LOCKS:
            command += ["--requirement", str(lock)]
        for advisory in accepted:
            command += ["--ignore-vuln", advisory]
        finished = subprocess.run(command, capture_output=True, text=True)
        if not report.exists():  # pip-audit stopped before auditing: the feed unreachable, a bad lock
            sys.stderr.write(finished.stderr)
            raise SystemExit(f"script/audit: pip-audit could not run (exit {finished.returncode}); see above")
        return json.loads(report.read_text())


def latest_release_advisories(name: str, version: str) -> tuple[str, list[dict]]:
    """("audited", advisories) when `version` is the project's latest release, else ("newer X", [])."""
    with urllib.request.urlopen(f"https://pypi.org/pypi/{name}/json", timeout=30) as response:
        project = json.load(response)
    latest = project["info"]["version"]
    if latest != version:
        return f"not audited: {latest} is the latest release", []
    return "audited", [advisory for advisory in project.get("vulnerabilities") or [] if not advisory.get("withdrawn")]


def main() -> int:
    today = datetime.date.today()
    accepted, problems = accepted_advisories(today)
    pins = {name.lower(): version for lock in LOCKS for name, version in _PIN.findall(lock.read_text())}
    report = run_pip_audit(accepted)

    found: list[str] = []
    unaudited: list[str] = []
    unreachable = 0
    audited = 0
    for dependency in report["dependencies"]:
        name = dependency["name"]
        version = dependency.get("version") or pins.get(name.lower(), "")
        if "skip_reason" not in dependency:
            audited += 1
            advisories = dependency.get("vulns", [])
        else:
            try:
                state, advisories = latest_release_advisories(name, version)
            except (urllib.error.URLError, TimeoutError, ValueError, KeyError) as error:
                unreachable += 1
                unaudited.append(f"{name}=={version}: not audited ({type(error).__name__})")
                continue
            if state != "audited":
                unaudited.append(f"{name}=={version}: {state}")
                continue
            audited += 1
        for advisory in advisories:
            ids = {advisory["id"], *advisory.get("aliases", [])}
            if ids & set(accepted):
                continue
            fixed = ", ".join(advisory.get("fix_versions") or advisory.get("fixed_in") or []) or "no fixed release"
            found.append(f"{name}=={version}: {advisory['id']} (fixed in {fixed}) {advisory.get('link', '')}".rstrip())

    print(f"script/audit: {audited} of {len(report['dependencies'])} locked packages audited against PyPI's "
          f"vulnerability feed; {len(found)} known vulnerabilities; {len(accepted)} accepted in {IGNORE_FILE.name}")
    for line in unaudited:
        print(f"  NOT AUDITED  {line}")
    for line in found:
        print(f"  VULNERABLE   {line}")
    for line in problems:
        print(f"  IGNORE FILE  {line}")
    if audited == 0:
        print("script/audit: nothing could be audited (PyPI's vulnerability feed is unreachable from here)")
        return 1
    if unaudited:
        print(f"script/audit: {len(unaudited)} pins could not be audited here (only a latest release can be): "
              f"`script/lock --upgrade` moves pins to their latest release unless a range in pyproject.toml or a "
              f"dependency holds them back")
    return 1 if found or problems else 0


if __name__ == "__main__":
    sys.exit(main())
