"""Alembic environment: batch mode so every migration also runs on SQLite."""
from alembic import context
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.database import make_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            # Batch mode rebuilds a table by copy, drop and rename. With foreign keys on, dropping the old
            # table deletes, by ON DELETE CASCADE, every row that points at it (a report's updates, sharing,
            # links, media): off for the migration (outside any transaction, or SQLite ignores it; this
            # engine is disposed below, so no connection keeps it off).
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
