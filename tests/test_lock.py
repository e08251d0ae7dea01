"""The locks cover pyproject.toml: every dependency it names (runtime, extras, the build backend) is pinned
in the lock that installs it, at a version its range allows, with hashes; so nobody adds a package to
pyproject.toml and forgets the lock (script/lock). No network."""
from __future__ import annotations

import datetime
import importlib.util
import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements"
_ENTRY = re.compile(r"^([A-Za-z0-9_.\-]+)==(\S+)((?:\s*\\\n\s+--hash=sha256:[0-9a-f]{64})+)", re.M)


def locked(name: str) -> dict[str, tuple[str, int]]:
    """{canonical name: (version, number of hashes)} of requirements/<name>; fails on a pin without hashes."""
    text = (REQUIREMENTS / name).read_text()
    entries = {canonicalize_name(package): (version, hashes.count("--hash=")) for package, version, hashes
               in _ENTRY.findall(text)}
    pins = re.findall(r"^([A-Za-z0-9_.\-]+)==", text, re.M)
    assert len(pins) == len(entries), f"{name}: a pin without --hash lines"
    return entries


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _runtime() -> list[Requirement]:
    return [Requirement(line) for line in project()["project"]["dependencies"]]


def _extra(name: str) -> list[Requirement]:
    return [Requirement(line) for line in project()["project"]["optional-dependencies"][name]]


def _build() -> list[Requirement]:
    return [Requirement(line) for line in project()["build-system"]["requires"]]


@pytest.mark.parametrize("lock, requirements", [
    ("lock.txt", lambda: _runtime() + _extra("postgres") + _extra("test") + _build()),
    ("runtime.txt", lambda: _runtime() + _extra("postgres") + _build()),
])
def test_every_dependency_of_pyproject_is_pinned_in_its_lock_within_its_range(lock, requirements):
    pins = locked(lock)
    for requirement in requirements():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is in pyproject.toml but not in requirements/{lock}: run script/lock"
        version, hashes = pins[name]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"requirements/{lock} pins {requirement.name}=={version}, outside pyproject's {requirement}: run script/lock")
        assert hashes >= 1
        for extra in requirement.extras:  # psycopg[binary] needs psycopg-binary beside it
            if (name, extra) == ("psycopg", "binary"):
                assert "psycopg-binary" in pins and pins["psycopg-binary"][0] == version


def test_the_runtime_lock_has_the_same_versions_as_the_full_lock_and_no_test_tools():
    full, runtime = locked("lock.txt"), locked("runtime.txt")
    assert {name: version for name, (version, _) in runtime.items()} == {
        name: full[name][0] for name in runtime}
    assert not {"pytest", "hypothesis", "playwright"} & set(runtime)


def test_packages_built_for_each_platform_have_a_hash_for_every_file():
    """pip-compile hashes every file of a release (each platform's wheel), so an aarch64 machine installs
    from the same lock as an x86_64 one; a lock made from one machine's wheels alone would have one."""
    full = locked("lock.txt")
    for name in ("pillow", "cryptography", "psycopg-binary", "greenlet", "argon2-cffi-bindings", "uharfbuzz",
                 "playwright"):
        assert full[name][1] >= 6, f"{name} has {full[name][1]} hashes: the lock was made from one machine's files"


def test_pip_and_the_tools_are_locked_too():
    assert "pip" in locked("pip.txt")
    assert {"pip-tools", "pip-audit"} <= set(locked("tools.txt"))


def _audit_lock():
    spec = importlib.util.spec_from_file_location("audit_lock", ROOT / "script" / "audit_lock.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_accepted_advisory_has_a_reason_and_a_review_date_not_yet_passed(tmp_path, monkeypatch):
    audit = _audit_lock()
    accepted, problems = audit.accepted_advisories(datetime.date.today())
    assert problems == []
    assert all(reason.strip() for reason in accepted.values())

    ignore = tmp_path / "audit-ignore.txt"
    ignore.write_text("# a comment\nGHSA-aaaa-bbbb-cccc  2020-01-01  no longer looked at\nPYSEC-1  soon  no date\n")
    monkeypatch.setattr(audit, "IGNORE_FILE", ignore)
    accepted, problems = audit.accepted_advisories(datetime.date(2026, 1, 1))
    assert list(accepted) == ["GHSA-aaaa-bbbb-cccc"]
    assert any("to be reviewed by 2020-01-01" in problem for problem in problems)
    assert any("line 3" in problem for problem in problems)
