"""Every file and test the privacy promise and the threat model point to exists.

docs/privacy.md ("Our guarantees"), docs/threat-model.md and docs/security-tests.md prove each protection by
naming the file that does it and the test that checks it, as `path`, `path::test_name` or `module/path.function`.
A renamed test or a moved module would leave a promise pointing at nothing; this fails instead, naming the
document and the reference.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ("docs/privacy.md", "docs/threat-model.md", "docs/security-tests.md")
# A path in backticks under one of the project's own folders, with an optional ::test_name after it.
REFERENCE = re.compile(
    r"`(?P<path>(?:tests|storage|bot|flows|web|docs|script|\.ci)/[\w./-]*|[\w-]+\.(?:py|lock|txt))"
    r"(?:::(?P<test>\w+))?`"
)
# "`tests/x.py::test_a`, `::test_b`": a bare ::name continues the file named just before it.
CONTINUED = re.compile(r"`::(?P<test>\w+)`")


def references(document: str) -> list[tuple[str, str | None]]:
    """(path, test name or None) for every reference in the document, in order."""
    text = (ROOT / document).read_text(encoding="utf-8")
    found: list[tuple[int, str, str | None]] = []
    for match in REFERENCE.finditer(text):
        found.append((match.start(), match.group("path"), match.group("test")))
    named = list(found)
    for match in CONTINUED.finditer(text):
        before = [item for item in named if item[0] < match.start() and item[1].endswith(".py")]
        assert before, f"{document}: `::{match.group('test')}` follows no test file"
        found.append((match.start(), max(before)[1], match.group("test")))
    return [(path, test) for _start, path, test in sorted(found)]


def _defines(path: Path, name: str) -> bool:
    return re.search(rf"^\s*(?:async\s+)?def {re.escape(name)}\(", path.read_text(encoding="utf-8"),
                     re.MULTILINE) is not None


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_file_and_test_a_privacy_document_names_exists(document):
    found = references(document)
    assert len(found) >= 10, f"{document}: expected it to name its files and tests, found {found}"
    missing = []
    for path, test in found:
        target = ROOT / path.rstrip("/")
        module, _dot, attribute = path.rpartition(".")
        if not target.exists() and module and (ROOT / f"{module}.py").is_file():
            # `bot/channels/telegram.render_replies`: a function in a module, named the way Python does.
            target, test = ROOT / f"{module}.py", test or attribute
        if not target.exists():
            missing.append(f"{path} (no such file or folder)")
        elif test and not (target.is_file() and _defines(target, test)):
            missing.append(f"{target.relative_to(ROOT)}::{test} (not defined there)")
    assert not missing, f"{document} points at things that do not exist:\n  " + "\n  ".join(missing)


def test_a_missing_reference_is_found(tmp_path, monkeypatch):
    """The check can fail: a made-up test, file and function are each reported; real ones are not."""
    document = tmp_path / "docs" / "made-up.md"
    document.parent.mkdir()
    document.write_text("See `tests/test_anonymity.py::test_that_does_not_exist` and `storage/nowhere.py`, "
                        "and `tests/test_anonymity.py::test_a_private_report_keeps_a_sealed_link_to_the_contact`, "
                        "`::test_also_missing`, `bot/channel.render` and `bot/channel.vanished`.\n" * 4,
                        encoding="utf-8")
    (tmp_path / "bot").mkdir()
    (tmp_path / "bot" / "channel.py").write_text("def render(replies):\n    pass\n", encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_anonymity.py").write_text(
        "def test_a_private_report_keeps_a_sealed_link_to_the_contact():\n    pass\n", encoding="utf-8")
    with pytest.raises(AssertionError) as failure:
        test_every_file_and_test_a_privacy_document_names_exists("docs/made-up.md")
    message = str(failure.value)
    assert "test_that_does_not_exist" in message and "storage/nowhere.py" in message
    assert "test_also_missing" in message and "sealed_link_to_the_contact (not" not in message
    assert "bot/channel.py::vanished" in message and "render" not in message
