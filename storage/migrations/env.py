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
            if engine.dialect.name == "sqlite":
                # With the keys off nothing stops a migration leaving a row that points nowhere (a rebuilt
                # table that lost rows, a copy with the wrong ids): fail loudly rather than leave it so.
                dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if dangling:
                    raise RuntimeError(f"rows point at rows that do not exist after migrating (table, rowid, "
                                       f"parent, key): {dangling[:20]}")
    engine.dispose()


run_migrations_online()
