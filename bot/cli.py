"""The `safer-homes` command (design.md, "CLI")."""
from __future__ import annotations

import logging
import sys

import click

from bot.settings import Settings


@click.group(help="Safer Homes: report safety concerns in Tower Hamlets, in your own language.")
def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")


@main.command(help="Serve the web app with gunicorn (production WSGI server). Access logs are off.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
# One process with threads by default: it keeps a small machine's memory near one app's worth
# (bench/messages.py measures it); raise --workers on a bigger machine with PostgreSQL.
@click.option("--workers", default=1, show_default=True, type=int, help="Processes.")
@click.option("--threads", default=4, show_default=True, type=int, help="Threads per process.")
def serve(host: str, port: int, workers: int, threads: int) -> None:
    from gunicorn.app.base import BaseApplication

    from webhook import create_app

    class SaferHomes(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            # Access logs would hold client addresses; the privacy promise says they are not kept.
            self.cfg.set("accesslog", None)

        def load(self):
            return create_app()

    SaferHomes().run()


@main.command(help="Deliver due messages (retries, scheduled, bulk), keep the heartbeat, purge old drafts.")
@click.option("--once", is_flag=True, help="Do everything due now, then exit.")
def worker(once: bool) -> None:
    from bot import worker as worker_module
    from storage.database import make_engine
    from storage.types import utcnow

    from bot.channels.registry import configured_channels
    from bot.delivery import Deliverer

    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    deliverer = Deliverer(engine, settings, configured_channels(settings))
    if once:
        counts = worker_module.run_due_work(engine, settings, now=utcnow(), deliverer=deliverer)
        click.echo(" ".join(f"{name}={count}" for name, count in counts.items()))
        return
    worker_module.run_forever(engine, settings, deliverer)


@main.group(help="Database commands.")
def db() -> None:
    pass


@db.command(help="Apply every migration (SQLite or PostgreSQL, from DATABASE_URL).")
def upgrade() -> None:
    from storage import migrate

    migrate.upgrade(Settings.from_env().database_url)
    click.echo("database is up to date")


@main.command("demo-data", help="Add the wards, agencies and category routing that are missing.")
def demo_data() -> None:
    from storage.database import make_engine, new_session
    from storage.seed import seed_reference_data

    engine = make_engine(Settings.from_env().database_url)
    with new_session(engine) as session:
        seed_reference_data(session)
        session.commit()
    click.echo("wards, agencies and category routing are in place")


if __name__ == "__main__":
    sys.exit(main())
