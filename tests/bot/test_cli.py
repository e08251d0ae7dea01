"""The safer-homes command, run as an operator would: a real process with DATABASE_URL set."""
import os
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import func, select

from bot.settings import Settings
from bot.worker import run_due_work
from storage import contacts
from storage.database import make_engine, new_session
from storage.models import Ward
from storage.types import utcnow


def _run(*args, database_url):
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "cli-test-secret-0123456789abcdef"}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env, capture_output=True, text=True, timeout=120)


def test_upgrade_seed_and_worker_once_on_an_empty_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = _run("db", "upgrade", database_url=url)
    assert result.returncode == 0, result.stderr
    for _ in range(2):  # demo-data twice: it only adds what is missing
        result = _run("demo-data", database_url=url)
        assert result.returncode == 0, result.stderr
    engine = make_engine(url)
    with new_session(engine) as session:
        assert session.execute(select(func.count()).select_from(Ward)).scalar() == 20
    engine.dispose()
    result = _run("worker", "--once", database_url=url)
    assert result.returncode == 0, result.stderr
    assert "drafts_purged=0" in result.stdout


def test_help_lists_the_commands():
    result = subprocess.run([sys.executable, "-m", "bot.cli", "--help"], capture_output=True, text=True, timeout=60)
    for command in ("serve", "worker", "db", "demo-data"):
        assert command in result.stdout


def test_the_worker_purges_drafts_past_retention_and_keeps_the_language(engine):
    settings = Settings(secret_key="x" * 32, draft_retention=timedelta(days=7))
    now = utcnow()
    with new_session(engine) as session:
        old = contacts.find_or_create_contact(session, channel="webchat", address_hash="a" * 64, address_sealed=None, now=now)
        fresh = contacts.find_or_create_contact(session, channel="webchat", address_hash="b" * 64, address_sealed=None, now=now)
        draft = {"lang": "bn", "flow": "report", "step": "what", "draft": {"category": "noise"}}
        contacts.save_conversation_state(session, conversation=contacts.open_conversation(session, contact_id=old.id, now=now), state=draft, now=now - timedelta(days=8))
        contacts.save_conversation_state(session, conversation=contacts.open_conversation(session, contact_id=fresh.id, now=now), state=draft, now=now - timedelta(days=6))
        session.commit()
    assert run_due_work(engine, settings, {}, now=now)["drafts_purged"] == 1
    with new_session(engine) as session:
        assert contacts.load_conversation_state(session, contact_id=old.id) == {"lang": "bn"}
        assert contacts.load_conversation_state(session, contact_id=fresh.id) == draft


def test_the_worker_deletes_media_nothing_refers_to_once_old_enough(engine, tmp_path):
    from storage import reports

    media_dir = tmp_path / "media"
    media_dir.mkdir()
    now = utcnow()
    for name in ("kept-by-report.jpg", "kept-by-draft.ogg", "orphan-old.jpg", "orphan-new.jpg"):
        (media_dir / name).write_bytes(b"x")
    old = (now - timedelta(days=8)).timestamp()
    for name in ("kept-by-report.jpg", "kept-by-draft.ogg", "orphan-old.jpg"):
        os.utime(media_dir / name, (old, old))
    with new_session(engine) as session:
        reports.create_report(session, reference="TH-7K3M-9QXR", category="noise", language="en", channel="telegram",
                              privacy="anonymous", agency_slugs=("council",), description="", received_at=now,
                              media=(("kept-by-report.jpg", "photo"),))
        contact = contacts.find_or_create_contact(session, channel="telegram", address_hash="c" * 64, address_sealed=None, now=now)
        conversation = contacts.open_conversation(session, contact_id=contact.id, now=now)
        contacts.save_conversation_state(session, conversation=conversation, now=now,
                                         state={"lang": "en", "draft": {"media": [["kept-by-draft.ogg", "voice"]]}})
        session.commit()
    settings = Settings(secret_key="x" * 32, media_dir=str(media_dir))
    counts = run_due_work(engine, settings, {}, now=now)
    assert counts["media_purged"] == 1
    assert sorted(path.name for path in media_dir.iterdir()) == ["kept-by-draft.ogg", "kept-by-report.jpg", "orphan-new.jpg"]
