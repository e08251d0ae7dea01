"""How many rows each table holds, in one query: cheap enough to ask before and after every example (the
shared tests/helpers.row_counts reads every row, which slows each example as the database fills)."""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import inspect, text


@lru_cache(maxsize=16)
def _count_query(engine):
    tables = sorted(inspect(engine).get_table_names())
    return text(" UNION ALL ".join(f"SELECT '{name}', count(*) FROM {name}" for name in tables))


def table_counts(engine) -> dict[str, int]:
    with engine.connect() as connection:
        return dict(connection.execute(_count_query(engine)).all())
