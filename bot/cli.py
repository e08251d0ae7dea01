"""The `safer-homes` command (design.md, "CLI")."""
from __future__ import annotations

import contextlib
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

    class SaferHomes(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            # Access logs would hold client addresses; the privacy promise says they are not kept.
            self.cfg.set("accesslog", None)

        def load(self):
            # Imported in the worker process only: the master never serves a request, so it need not
            # carry Flask, the channel SDKs and the database drivers (bench/messages.py measures RSS).
            from webhook import create_app

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


@main.group("telegram", help="Telegram: connect the bot to this server, or poll for updates while developing.")
def telegram_group() -> None:
    pass


@telegram_group.command("set-webhook", help="Point the bot at PUBLIC_BASE_URL/webhooks/telegram with the "
                        "secret (setWebhook; updates: message, callback_query).")
@click.option("--drop-pending-updates", is_flag=True, help="Discard updates Telegram is still holding.")
def telegram_set_webhook(drop_pending_updates: bool) -> None:
    from telegram.error import TelegramError

    from bot.channels.telegram import WEBHOOK_PATH, TelegramChannel, delivery_error, valid_webhook_secret

    settings = Settings.from_env()
    if not settings.telegram_bot_token:
        raise click.ClickException("Set TELEGRAM_BOT_TOKEN to the token BotFather gave you.")
    if not valid_webhook_secret(settings.telegram_webhook_secret):
        raise click.ClickException(
            "Set TELEGRAM_WEBHOOK_SECRET to 1-256 letters, digits, '_' or '-' (for example the output of "
            "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`)."
        )
    if not settings.public_base_url.startswith("https://"):
        raise click.ClickException("PUBLIC_BASE_URL must be the https:// address of this server: Telegram only "
                                   "posts to HTTPS webhooks.")
    url = settings.public_base_url + WEBHOOK_PATH
    channel = TelegramChannel(settings)
    try:
        channel.set_webhook(url, secret_token=settings.telegram_webhook_secret, drop_pending_updates=drop_pending_updates)
    except TelegramError as error:
        raise click.ClickException(f"setWebhook failed: {delivery_error(error, hide=(settings.telegram_bot_token,))}")
    finally:
        channel.close()
    click.echo(f"setWebhook: ok. Telegram now posts messages and button taps to {url}")


@telegram_group.command("poll", help="For development without a public address: delete the webhook, then "
                        "long-poll getUpdates and answer each update as the webhook would. Ctrl-C stops.")
@click.option("--timeout", default=25, show_default=True, type=int, help="Seconds each long poll waits.")
@click.option("--rounds", default=None, type=int, hidden=True, help="Stop after this many polls (tests).")
def telegram_poll(timeout: int, rounds: int | None) -> None:
    from bot.channels.telegram import NAME, TelegramChannel, poll_updates
    from webhook import create_app

    app = create_app()
    channel = app.extensions["safer_homes.deliverer"].channels.get(NAME)
    if not isinstance(channel, TelegramChannel):
        raise click.ClickException("Set TELEGRAM_BOT_TOKEN to the token BotFather gave you.")
    click.echo("Polling Telegram (the webhook is deleted; run `safer-homes telegram set-webhook` to restore it). "
               "Ctrl-C stops.")
    try:
        with app.app_context():
            handled = poll_updates(channel, timeout=timeout, rounds=rounds)
        click.echo(f"handled {handled} updates")
    except KeyboardInterrupt:
        click.echo("stopped")
    finally:
        channel.close()
        app.extensions["safer_homes.engine"].dispose()


@main.group(help="Ward panels, forums and community events.")
def events() -> None:
    pass


def _parse_start(value: str):
    """ISO 8601; a time with no offset is London time (what organisers mean when they type one)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date and time, e.g. 2027-01-14T18:30", param_hint="--starts")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("Europe/London"))
    return moment


@contextlib.contextmanager
def _session():
    """A session on DATABASE_URL whose engine is closed with it (a CLI command is one short run)."""
    from storage.database import make_engine, new_session

    engine = make_engine(Settings.from_env().database_url)
    try:
        with new_session(engine) as session:
            yield session
    finally:
        engine.dispose()


@events.command("add", help="Add an event; prints its id alone on the last line.")
@click.option("--title", required=True)
@click.option("--starts", required=True, help="ISO 8601; without an offset it is London time.")
@click.option("--ward", "ward_slug", default=None, help="Ward slug, e.g. weavers.")
@click.option("--place", default=None)
@click.option("--capacity", default=None, type=int)
def events_add(title: str, starts: str, ward_slug, place, capacity) -> None:
    from storage import events as event_store
    from storage.reports import UnknownChoice
    from storage.types import utcnow

    starts_at = _parse_start(starts)
    with _session() as session:
        try:
            event = event_store.create_event(session, title=title, starts_at=starts_at, now=utcnow(),
                                             ward_slug=ward_slug, place=place, capacity=capacity)
        except (ValueError, UnknownChoice) as problem:
            raise click.ClickException(f"not added: {problem}")
        session.commit()
        click.echo(event.id)


@events.command("list", help="Upcoming events, soonest first, in London time.")
def events_list() -> None:
    from zoneinfo import ZoneInfo

    from storage import events as event_store
    from storage.types import utcnow

    with _session() as session:
        upcoming = event_store.list_upcoming_events(session, now=utcnow(), include_cancelled=True)
    if not upcoming:
        click.echo("no upcoming events")
    for event, ward_name in upcoming:
        when = event.starts_at.astimezone(ZoneInfo("Europe/London")).strftime("%Y-%m-%d %H:%M")
        details = [when, event.title, ward_name or "borough-wide", event.place or "place to be confirmed"]
        if event.capacity:
            details.append(f"capacity {event.capacity}")
        if event.cancelled_at:
            details.append("CANCELLED")
        click.echo(f"{event.id}\t" + "\t".join(details))


@events.command("cancel", help="Cancel an event by its id.")
@click.argument("event_id", type=int)
def events_cancel(event_id: int) -> None:
    from storage import events as event_store
    from storage.types import utcnow

    with _session() as session:
        try:
            event_store.cancel_event(session, event_id=event_id, now=utcnow())
        except LookupError as problem:
            raise click.ClickException(str(problem))
        session.commit()
    click.echo(f"event {event_id} cancelled")


# How organisers read the topics of agenda items (the report categories, shortened for a list).
AGENDA_TOPICS = {"asb": "Anti-social behaviour", "drugs": "Drugs", "harassment": "Harassment",
                 "hate": "Hate incidents", "unsafe_place": "Unsafe places", "noise": "Noise", "other": "Other"}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@events.command("agenda", help="\"Have your say\" items for an event, grouped by topic, most asked-for first, "
                "with how many back each and the language it was written in.")
@click.argument("event_id", type=int)
def events_agenda(event_id: int) -> None:
    from storage import agenda
    from storage import events as event_store

    with _session() as session:
        found = event_store.find_event(session, event_id=event_id)
        if found is None:
            raise click.ClickException(f"there is no event {event_id}")
        groups = agenda.grouped_agenda(session, event_id=event_id)
    click.echo(f"Agenda items for event {event_id}: {found[0].title}")
    if not groups:
        click.echo("no items yet")
        return
    untranslated = False
    for group in groups:
        topic = AGENDA_TOPICS.get(group.topic, group.topic)
        click.echo(f"{topic} ({_plural(group.backers, 'backer')}, {_plural(len(group.items), 'item')})")
        for item in group.items:
            click.echo(f"  [{item.language}] {_plural(item.backers, 'backer')}: {item.text}")
            if item.translation:
                click.echo(f"      English (machine translation): {item.translation}")
            elif item.language != "en":
                untranslated = True
    if untranslated:
        # Items stay in the words residents chose; TRANSLATOR (issue 6) will add English beside them.
        click.echo("Items not in English are shown as written: no translator is configured yet.")


@events.command("feedback", help="What residents said after an event: how many answered, the average rating "
                "(1 to 5), how many gave each, and their comments.")
@click.argument("event_id", type=int)
def events_feedback(event_id: int) -> None:
    from storage import events as event_store
    from storage import feedback

    with _session() as session:
        found = event_store.find_event(session, event_id=event_id)
        if found is None:
            raise click.ClickException(f"there is no event {event_id}")
        summary = feedback.feedback_summary(session, event_id=event_id)
    click.echo(f"Feedback for event {event_id}: {found[0].title}")
    if not summary.count:
        click.echo("no answers yet")
        return
    click.echo(f"{_plural(summary.count, 'answer')}, average {summary.average:.1f} out of 5")
    for rating in range(5, 0, -1):
        click.echo(f"  {rating}: {summary.distribution[rating]}")
    if summary.comments:
        click.echo("Comments:")
        for comment, language in summary.comments:
            click.echo(f"  [{language}] {comment}")


if __name__ == "__main__":
    sys.exit(main())
