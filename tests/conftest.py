"""Fixtures: a migrated, seeded database per test on SQLite always and PostgreSQL when reachable,
and the Flask `app` and `client` on top of it (flaskr's conftest, once per backend)."""
from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path
from typing import Iterator

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text

from storage import migrate
from storage.database import make_engine, new_session
from storage.seed import postgres_reachable, postgres_schema_of_its_own, prepare_database, seed_reference_data

TEST_SECRET_KEY = "test-secret-key-not-for-production-0123456789"

# Property tests (tests/properties/ and the others using hypothesis): no example database, so a run depends
# only on its seed (`--hypothesis-seed=N` repeats it) and a failure prints its example and the blob that
# reproduces it (`@reproduce_failure`), on a developer's machine and in CI alike.
hypothesis_settings.register_profile("safer-homes", database=None, print_blob=True)
hypothesis_settings.load_profile("safer-homes")
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


POSTGRES_AVAILABLE = postgres_reachable(POSTGRES_URL)
if os.environ.get("CI") and not POSTGRES_AVAILABLE:
    # CI has PostgreSQL; losing it silently would turn half the storage suite into nothing.
    raise RuntimeError(f"CI=true but PostgreSQL is not reachable at {POSTGRES_URL}")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_AVAILABLE else [])


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", BACKENDS, scope="session")


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    prepare_database(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def migrated_postgres() -> Iterator[str]:
    """A schema of this test run's own, so runs at the same time (two developers, CI) never collide."""
    url, drop = postgres_schema_of_its_own(POSTGRES_URL, prefix="test")
    migrate.upgrade(url)
    yield url
    drop()


def _seed(url: str) -> None:
    engine = make_engine(url)
    with new_session(engine) as session:
        seed_reference_data(session)
        session.commit()
    engine.dispose()


def _migration_care_terms() -> list[tuple[str, str, str]]:
    """The care-language starting list migration 0011 inserts (read from the migration, not copied)."""
    path = migrate.MIGRATIONS_DIR / "versions" / "0011_staff_workspace.py"
    spec = importlib.util.spec_from_file_location("migration_0011", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CARE_TERMS


@pytest.fixture
def database_url(backend, request, tmp_path) -> str:
    """A migrated, seeded, otherwise empty database for this test."""
    if backend == "sqlite":
        template = request.getfixturevalue("migrated_sqlite_template")
        path = tmp_path / "safer-homes.db"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("migrated_postgres")
    engine = create_engine(url)
    with engine.begin() as connection:
        tables = connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename != 'alembic_version'")
        ).scalars().all()
        connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        # The TRUNCATE also emptied what the migrations insert: put it back, as a new installation has it.
        connection.execute(
            text('INSERT INTO careterm (term, suggestion, "group", updated_at) VALUES (:term, :suggestion, :group, now())'),
            [{"term": term, "suggestion": suggestion, "group": group} for term, suggestion, group in _migration_care_terms()],
        )
    engine.dispose()
    _seed(url)
    return url


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def built_app(database_url: str):
    """The real app on a test database; a generator so fixtures can yield it and dispose after."""
    from bot.conversations import forget_reference_data
    from webhook import create_app

    forget_reference_data()
    app = create_app({"database_url": database_url, "secret_key": TEST_SECRET_KEY, "TESTING": True})
    yield app
    app.extensions["safer_homes.engine"].dispose()


@pytest.fixture
def app(database_url):
    yield from built_app(database_url)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
