"""The `safer-homes` command (design.md, "CLI")."""
from __future__ import annotations

import contextlib
import logging
import os
import sys

import click

from bot.settings import Settings


@click.group(help="Safer Homes: report safety concerns in Tower Hamlets, in your own language.")
def main() -> None:
    from bot.log_scrubbing import install_log_scrubbing

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # Every process this command starts (serve, worker, the rest) scrubs its log lines (docs/privacy.md, "Logs").
    install_log_scrubbing(environ=os.environ)


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


@main.command(help="Queue due reminders, deliver due messages (retries, scheduled, bulk), keep the heartbeat, "
              "purge old drafts and RSVPs past their retention.")
@click.option("--once", is_flag=True, help="Do everything due now, then exit.")
def worker(once: bool) -> None:
    from bot import worker as worker_module
    from storage.database import make_engine
    from storage.types import utcnow

    from bot.delivery import Deliverer

    settings, channels = _settings_and_channels()
    engine = make_engine(settings.database_url)
    deliverer = Deliverer(engine, settings, channels)
    if once:
        try:
            counts = worker_module.run_due_work(engine, settings, channels, now=utcnow(), deliverer=deliverer)
        finally:
            engine.dispose()  # a one-off run leaves no pooled connection behind
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


@main.command("demo-data", help="Add the wards, agencies and category routing that are missing; on a new "
              "database also a few demo community spaces and events, and the first staff admin.")
def demo_data() -> None:
    from sqlalchemy import select

    from storage.models import Ward
    from storage.seed import seed_demo_events, seed_demo_help_services, seed_demo_spaces, seed_reference_data
    from storage.types import utcnow

    with _session() as session:
        # Demo spaces only on a new database: script/server runs demo-data at every start, and a space
        # staff removed must not come back.
        new_database = session.execute(select(Ward.id).limit(1)).first() is None
        seed_reference_data(session)
        admin_password = None
        if new_database:
            seed_demo_spaces(session, now=utcnow())
            seed_demo_events(session, now=utcnow())
            seed_demo_help_services(session, now=utcnow())
            admin_password = _first_admin(session)
        session.commit()
    click.echo("wards, agencies and category routing are in place")
    if new_database:
        click.echo("demo community spaces added (change them with `safer-homes spaces edit|remove`)")
        click.echo("demo events added (see them with `safer-homes events list`)")
        click.echo("demo help services added: confirm each before launch (`safer-homes services list|edit|check`)")
    if admin_password:
        # Printed once, here, and never stored in clear: script/server shows it on the first start only.
        click.echo(f"staff admin added: sign in at /staff/login as {DEMO_ADMIN_EMAIL} "
                   f"with the password {admin_password} (shown once)")


# The first admin a new installation gets (example.org is reserved: it can never be someone's real address).
DEMO_ADMIN_EMAIL = "admin@example.org"
DEMO_ADMIN_AGENCY = "council"


def _first_admin(session) -> str | None:
    """Add the first admin to a database that has none; its generated password, or None."""
    from storage import staff as staff_store
    from storage.types import utcnow

    if staff_store.has_admin(session):
        return None
    password = staff_store.generate_password()
    # In the council's ASB team, the agency most categories go to: an admin with no agency sees no reports
    # (storage/casework.py), and a new installation's first admin should find the reports made in the demo.
    user = staff_store.add_staff(session, email=DEMO_ADMIN_EMAIL, role="admin", agency_slug=DEMO_ADMIN_AGENCY,
                                 password=password, now=utcnow())
    staff_store.record_audit(session, action="staff_added", now=utcnow(), account=user.id, role="admin",
                             agency=DEMO_ADMIN_AGENCY, by="demo-data")
    return password


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


# Row ids and counts are PostgreSQL `integer`s: a larger number named nothing, and failed with a traceback
# ("integer out of range"; SQLite: "Python int too large") instead of saying so (web/row_ids.py, for addresses).
LARGEST_ROW_ID = 2**31 - 1
ROW_ID = click.IntRange(min=0, max=LARGEST_ROW_ID)


@main.group(help="Ward panels, forums and community events.")
def events() -> None:
    pass


def _parse_start(value: str, param_hint: str = "--starts"):
    """ISO 8601; a time with no offset is London time (what organisers mean when they type one)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date and time, e.g. 2027-01-14T18:30", param_hint=param_hint)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("Europe/London"))
    try:
        moment.astimezone(ZoneInfo("UTC"))  # kept in UTC: the first and last days of the calendar may not convert
    except OverflowError:
        raise click.BadParameter(f"{value!r} is too far in the past or future", param_hint=param_hint) from None
    return moment


def _settings() -> Settings:
    """Settings from the environment; a bad setting (TRANSLATOR, REMINDER_OFFSETS...) is named, not a traceback."""
    from bot.log_scrubbing import install_log_scrubbing

    try:
        settings = Settings.from_env()
    except ValueError as problem:
        raise click.ClickException(str(problem))
    install_log_scrubbing(settings)  # adds a generated SECRET_KEY (var/secret-key) to the secrets it removes
    return settings


@contextlib.contextmanager
def _engine(settings: Settings | None = None):
    """An engine on DATABASE_URL, closed after (a CLI command is one short run); `settings` if already read."""
    from storage.database import make_engine

    engine = make_engine((settings if settings is not None else _settings()).database_url)
    try:
        yield engine
    finally:
        engine.dispose()


@contextlib.contextmanager
def _session(settings: Settings | None = None):
    """A session on DATABASE_URL whose engine is closed with it; `settings` if the command has read them."""
    from storage.database import new_session

    with _engine(settings) as engine, new_session(engine) as session:
        yield session


def _language_texts(values, option: str) -> dict:
    """Repeated LANG=TEXT options as {LANG: TEXT}; storage checks the language codes."""
    texts = {}
    for value in values:
        code, sep, text = value.partition("=")
        if not sep or not code.strip():
            raise click.BadParameter(f"{value!r} is not LANG=TEXT, e.g. bn=ওয়ার্ড প্যানেল", param_hint=option)
        texts[code.strip()] = text
    return texts


def _comma_list(value):
    """ "bn,so,syl" as a list, each stripped, empties dropped; "" as an empty one (clears it in an edit); None
    stays None."""
    return None if value is None else [item.strip() for item in value.split(",") if item.strip()]


# Spelled out rather than imported from storage.models.EVENT_KINDS, so building the help loads no database
# layer (storage checks the value; tests/bot/test_events_cli.py checks this names them all).
EVENT_KINDS_HELP = ("ward_panel, tra_meeting, community_forum, youth_led, intergenerational, family, "
                    "skills_training, digital_skills")


def _event_detail_options(command):
    """The options `events add` and `events edit` share (edit: only the ones given change)."""
    for option in reversed((
        click.option("--kind", default=None, help=f"One of {EVENT_KINDS_HELP} (add: community_forum if not given)."),
        click.option("--ends", default=None, help="ISO 8601 end; without an offset it is London time."),
        click.option("--description", default=None, help="What it is about, as written (edit: \"\" clears)."),
        click.option("--title-in", "titles", multiple=True, metavar="LANG=TEXT",
                     help="The title in another language, e.g. bn=…; repeatable (edit: LANG= removes it)."),
        click.option("--description-in", "descriptions", multiple=True, metavar="LANG=TEXT",
                     help="The description in another language; repeatable."),
        click.option("--machine-translated", "machine_translated", multiple=True, metavar="LANG",
                     help="Mark LANG's title and description as machine translated (residents are told); "
                          "repeatable. Text given again without it is marked as a person's translation."),
        click.option("--interpreters", default=None, help="Interpreter languages offered, e.g. bn,so,syl "
                     "(syl is Sylheti; edit: \"\" clears)."),
        click.option("--voucher", default=None, help="A voucher for taking part, e.g. \"£10 shopping voucher\" "
                     "(edit: \"\" clears)."),
        click.option("--decision-maker", "decision_makers", multiple=True,
                     help="Who will be there to listen and answer, e.g. \"Ward councillors\"; repeatable "
                          "(edit: replaces the list; one \"\" empties it)."),
    )):
        command = option(command)
    return command


@events.command("add", help="Add an event; prints its id alone on the last line.")
@click.option("--title", required=True)
@click.option("--starts", required=True, help="ISO 8601; without an offset it is London time.")
@click.option("--ward", "ward_slug", default=None, help="Ward slug, e.g. weavers.")
@click.option("--place", default=None, help="Where, as free text (or --space).")
@click.option("--space", "space_id", default=None, type=ROW_ID, help="A venue's id from `safer-homes spaces list`.")
@click.option("--capacity", default=None, type=click.IntRange(max=LARGEST_ROW_ID))
@_event_detail_options
@click.option("--food", is_flag=True, help="Food is offered.")
@click.option("--childcare", is_flag=True, help="Childcare is offered.")
@click.option("--step-free", "step_free", is_flag=True, help="The venue has step-free access.")
@click.option("--travel-costs", "travel_costs", is_flag=True, help="Travel costs are paid for taking part.")
def events_add(title: str, starts: str, ward_slug, place, space_id, capacity, kind, ends, description, titles,
               descriptions, machine_translated, interpreters, voucher, decision_makers, food, childcare,
               step_free, travel_costs) -> None:
    from storage import events as event_store
    from storage.reports import UnknownChoice
    from storage.types import utcnow

    starts_at = _parse_start(starts)
    ends_at = _parse_start(ends, param_hint="--ends") if ends else None
    offers = {"interpreters": _comma_list(interpreters), "voucher": voucher, "food": food,
              "childcare": childcare, "step_free": step_free, "travel_costs": travel_costs}
    with _session() as session:
        try:
            event = event_store.create_event(
                session, title=title, starts_at=starts_at, now=utcnow(), ward_slug=ward_slug, place=place,
                capacity=capacity, kind=kind or "community_forum", ends_at=ends_at, description=description,
                titles=_language_texts(titles, "--title-in"),
                descriptions=_language_texts(descriptions, "--description-in"),
                machine_translated=machine_translated, space_id=space_id, offers=offers,
                decision_makers=decision_makers,
            )
        except (ValueError, UnknownChoice) as problem:
            raise click.ClickException(f"not added: {problem}")
        session.commit()
        click.echo(event.id)


@events.command("list", help="Upcoming events, soonest first, in London time.")
def events_list() -> None:
    from zoneinfo import ZoneInfo

    from storage import events as event_store
    from storage.types import utcnow

    from sqlalchemy import select

    from storage.models import Space

    with _session() as session:
        upcoming = event_store.list_upcoming_events(session, now=utcnow(), include_cancelled=True)
        space_names = dict(session.execute(select(Space.id, Space.name)).all())
    if not upcoming:
        click.echo("no upcoming events")
    for event, ward_name in upcoming:
        when = event.starts_at.astimezone(ZoneInfo("Europe/London")).strftime("%Y-%m-%d %H:%M")
        venue = space_names.get(event.space_id) or event.place or "place to be confirmed"
        details = [when, event.title, ward_name or "borough-wide", venue]
        if event.capacity:
            details.append(f"capacity {event.capacity}")
        if event.cancelled_at:
            details.append("CANCELLED")
        click.echo(f"{event.id}\t" + "\t".join(details))


@events.command("cancel", help="Cancel an event by its id; everyone who said yes or is waiting is told once, "
                "and its reminders are not sent.")
@click.argument("event_id", type=ROW_ID)
def events_cancel(event_id: int) -> None:
    from bot.event_changes import cancel_and_tell
    from storage.types import utcnow

    settings, channels = _settings_and_channels()
    now = utcnow()
    with _session(settings) as session:
        try:
            # Cancelling twice tells nobody twice: the notice went with the first cancellation.
            told = cancel_and_tell(session, channels, event_id=event_id, now=now).told
        except LookupError as problem:
            raise click.ClickException(str(problem))
        session.commit()
    click.echo(f"event {event_id} cancelled; {told} residents will be told")


@events.command("move", help="Give an event a new time (and place); everyone who said yes or is waiting is "
                "told once, and reminders follow the new time.")
@click.argument("event_id", type=ROW_ID)
@click.option("--starts", required=True, help="ISO 8601; without an offset it is London time.")
@click.option("--place", default=None, help="The new place, if it changes too.")
def events_move(event_id: int, starts: str, place) -> None:
    from bot.event_changes import move_and_tell
    from storage.types import utcnow

    starts_at = _parse_start(starts)
    settings, channels = _settings_and_channels()
    now = utcnow()
    with _session(settings) as session:
        try:
            told = move_and_tell(session, channels, event_id=event_id, starts_at=starts_at, place=place, now=now).told
        except (LookupError, ValueError) as problem:
            raise click.ClickException(f"not moved: {problem}")
        session.commit()
    click.echo(f"event {event_id} moved; {told} residents will be told")


def _settings_and_channels():
    """Settings (a bad value stops here, naming its variable) and the channels notices are written for."""
    from bot.channels.registry import configured_channels

    settings = _settings()
    return settings, configured_channels(settings)


@events.command("edit", help="Change an event's title, kind, end, texts, capacity and offers. Its time and "
                "place change with `events move`, which tells the residents who answered.")
@click.argument("event_id", type=ROW_ID)
@click.option("--title", default=None)
@click.option("--capacity", default=None, type=click.IntRange(max=LARGEST_ROW_ID))
@_event_detail_options
@click.option("--food/--no-food", default=None, help="Food is offered, or no longer.")
@click.option("--childcare/--no-childcare", default=None, help="Childcare is offered, or no longer.")
@click.option("--step-free/--no-step-free", "step_free", default=None, help="Step-free access, or not.")
@click.option("--travel-costs/--no-travel-costs", "travel_costs", default=None, help="Travel costs are paid, or not.")
def events_edit(event_id: int, title, capacity, kind, ends, description, titles, descriptions, machine_translated,
                interpreters, voucher, decision_makers, food, childcare, step_free, travel_costs) -> None:
    from bot.event_changes import edit_and_tell
    from storage import events as event_store
    from storage.types import utcnow

    unchanged = event_store.UNCHANGED
    changes = {
        "title": unchanged if title is None else title,
        "kind": unchanged if kind is None else kind,
        "ends_at": unchanged if ends is None else (_parse_start(ends, param_hint="--ends") if ends.strip() else None),
        "description": unchanged if description is None else description,
        "capacity": unchanged if capacity is None else capacity,
        "decision_makers": decision_makers if decision_makers else unchanged,
    }
    offers = {name: value for name, value in (
        ("interpreters", _comma_list(interpreters)), ("voucher", voucher), ("food", food),
        ("childcare", childcare), ("step_free", step_free), ("travel_costs", travel_costs),
    ) if value is not None}
    if all(value is unchanged for value in changes.values()) and not (offers or titles or descriptions
                                                                       or machine_translated):
        raise click.UsageError("nothing to change: give at least one option (see --help)")
    settings, channels = _settings_and_channels()
    now = utcnow()
    with _session(settings) as session:
        try:
            edited = edit_and_tell(
                session, channels, event_id=event_id, now=now, public_base_url=settings.public_base_url,
                offers=offers, titles=_language_texts(titles, "--title-in"),
                descriptions=_language_texts(descriptions, "--description-in"),
                machine_translated=machine_translated, **changes,
            )
        except LookupError as problem:
            raise click.ClickException(str(problem))
        except ValueError as problem:
            raise click.ClickException(f"not changed: {problem}")
        session.commit()
    given = f"; {len(edited.promoted)} on the waiting list now have a place and will be told" if edited.promoted else ""
    click.echo(f"event {event_id} changed{given}")


def _event_or_fail(session, event_id: int):
    from storage import events as event_store

    found = event_store.find_event(session, event_id=event_id)
    if found is None:
        raise click.ClickException(f"there is no event {event_id}")
    return found


@events.command("show", help="One event, with how many are coming, waiting and not coming, and what they need.")
@click.argument("event_id", type=ROW_ID)
def events_show(event_id: int) -> None:
    from zoneinfo import ZoneInfo

    from storage import organiser
    from storage.models import Space

    london = ZoneInfo("Europe/London")
    with _session() as session:
        event, ward_name = _event_or_fail(session, event_id)
        space = session.get(Space, event.space_id) if event.space_id else None
        totals, kept = organiser.event_totals(session, event=event)
    when = event.starts_at.astimezone(london).strftime("%A %d %B %Y, %H:%M")
    if event.ends_at:
        when += event.ends_at.astimezone(london).strftime("–%H:%M")
    lines = [f"event {event.id}: {event.title} ({event.kind.replace('_', ' ')})", f"when: {when} (London)"]
    venue = f"{space.name}, {space.address}" if space else event.place
    lines.append(f"where: {venue or 'place to be confirmed'}" + (f" ({ward_name})" if ward_name else ""))
    if event.capacity:
        lines.append(f"capacity: {event.capacity}")
    offers = event.offers or {}
    offered = []
    if offers.get("interpreters"):
        offered.append("interpreters (" + ", ".join(organiser.language_name(code) for code in offers["interpreters"]) + ")")
    offered += [label for key, label in (("food", "food"), ("childcare", "childcare"),
                                         ("step_free", "step-free access"), ("travel_costs", "travel costs"))
                if offers.get(key)]
    if offers.get("voucher"):
        offered.append(f"voucher: {offers['voucher']}")
    lines.append("offers: " + (", ".join(offered) or "nothing listed"))
    if event.decision_makers:
        lines.append("decision-makers: " + "; ".join(event.decision_makers))
    languages = sorted(set(event.titles) | set(event.descriptions))
    if languages:
        lines.append("translations: " + ", ".join(
            code + (" (machine)" if code in event.machine_translated else "") for code in languages))
    if event.cancelled_at:
        lines.append(f"CANCELLED on {event.cancelled_at.astimezone(london):%Y-%m-%d %H:%M}")
    lines.append(("answers (kept totals; the answers themselves are deleted): " if kept else "answers: ")
                 + organiser.describe_answers(totals))
    lines.append("needs of those attending: " + organiser.describe_needs(totals))
    click.echo("\n".join(lines))


EXPORT_COLUMNS = ("status", "needs", "interpreter_language", "answered_on", "waiting_position", "waiting_since")


@events.command("export", help="The event's answers as CSV, one row per answer: status, needs, interpreter "
                "language, dates. Nothing says who answered.")
@click.argument("event_id", type=ROW_ID)
@click.option("--out", "out_path", default=None, type=click.Path(dir_okay=False, writable=True),
              help="Write to this file instead of standard output.")
def events_export(event_id: int, out_path) -> None:
    import csv

    from storage import organiser

    with _session() as session:
        event, _ward_name = _event_or_fail(session, event_id)
        if event.rsvp_summary is not None:
            raise click.ClickException(f"the answers to event {event_id} were deleted after it; "
                                       f"`safer-homes events show {event_id}` prints the totals kept")
        with contextlib.ExitStack() as stack:
            target = (stack.enter_context(open(out_path, "w", newline="", encoding="utf-8")) if out_path
                      else sys.stdout)
            writer = csv.writer(target, lineterminator="\r\n")
            writer.writerow(EXPORT_COLUMNS)
            rows = 0
            for row in organiser.rsvp_rows(session, event_id=event_id):
                writer.writerow((
                    row.status, ";".join(row.needs),
                    organiser.language_name(row.interpreter_language) if row.interpreter_language else "",
                    row.answered_on.isoformat(), row.waiting_position or "",
                    row.waiting_since.isoformat() if row.waiting_since else "",
                ))
                rows += 1
    if out_path:
        click.echo(f"{rows} answers written to {out_path}")


@events.command("poster", help="A printable poster, one A4 page per language, with QR codes to answer "
                "in Telegram or WhatsApp (as GET /events/<id>/poster).")
@click.argument("event_id", type=ROW_ID)
@click.option("--lang", "languages", default="en", show_default=True, help="Comma-separated, e.g. en,bn,so.")
@click.option("--out", "out_path", default=None, type=click.Path(dir_okay=False, writable=True),
              help="Write the HTML to this file instead of standard output.")
def events_poster(event_id: int, languages: str, out_path) -> None:
    from web import events as event_pages
    from webhook import create_app

    try:
        chosen = event_pages.poster_languages(languages)
    except ValueError as problem:
        raise click.BadParameter(str(problem), param_hint="--lang")
    app = create_app()
    try:
        # A request context, as the page would have: the templates' context processors (the staff
        # pages' sign-in state among them) expect one.
        with app.test_request_context(f"/events/{event_id}/poster"):
            page = event_pages.render_poster(event_id, chosen)
    finally:
        app.extensions["safer_homes.engine"].dispose()
    if page is None:
        raise click.ClickException(f"there is no event {event_id}")
    if out_path:
        with open(out_path, "w", encoding="utf-8") as poster_file:
            poster_file.write(page)
        click.echo(f"poster for event {event_id} ({', '.join(chosen)}) written to {out_path}")
    else:
        click.echo(page)


@main.group(help="The community spaces directory: free and low-cost places residents and groups can use.")
def spaces() -> None:
    pass


class _Refused(click.ClickException):
    """Bad input for a spaces command: the message on stderr, exit code 2 (as for a usage error), nothing changed."""

    exit_code = 2


# Spelled out rather than imported from storage, so `safer-homes serve`'s master process never loads the
# database layer just to build this help (storage.spaces checks the values; tests/bot/test_spaces_cli.py
# checks this text names them all).
SPACE_COSTS_HELP = "free, affordable or paid"
SPACE_FEATURES_HELP = "step_free,hearing_loop,accessible_toilet,childcare_room,kitchen,prayer_space"


def _space_options(command):
    """The options `spaces add` and `spaces edit` share (edit: only the ones given change)."""
    for option in reversed((
        click.option("--name", default=None),
        click.option("--address", default=None),
        click.option("--ward", "ward_slug", default=None, help="Ward slug, e.g. weavers (edit: \"\" for none)."),
        click.option("--cost", default=None, help=f"{SPACE_COSTS_HELP} (add: free if not given)."),
        click.option("--booking", default=None, help="How to book, e.g. \"ask at reception\" (edit: \"\" clears)."),
        click.option("--hours", default=None, help="Opening hours, e.g. \"Mon-Fri 9:00-21:00\" (edit: \"\" clears)."),
        click.option("--features", default=None, help=f"Comma-separated: {SPACE_FEATURES_HELP} (edit: \"\" clears)."),
    )):
        command = option(command)
    return command


@spaces.command("add", help="Add a space; prints its id alone on the last line.")
@_space_options
def spaces_add(name, address, ward_slug, cost, booking, hours, features) -> None:
    from storage import spaces as space_store
    from storage.types import utcnow

    if name is None or address is None:
        raise _Refused("not added: --name and --address are required")
    with _session() as session:
        try:
            space = space_store.add_space(session, name=name, address=address, now=utcnow(), ward_slug=ward_slug,
                                          cost=cost or "free", booking=booking, opening_hours=hours,
                                          features=_comma_list(features) or ())
        except ValueError as problem:  # UnknownChoice (an unknown ward) is a ValueError too
            raise _Refused(f"not added: {problem}")
        session.commit()
        click.echo(space.id)


@spaces.command("list", help="Every space, free first, then affordable, then paid, then by name.")
@click.option("--ward", "ward_slug", default=None, help="Only this ward's spaces, e.g. weavers.")
def spaces_list(ward_slug) -> None:
    from storage import spaces as space_store

    with _session() as session:
        try:
            listed = space_store.list_spaces(session, ward_slug=ward_slug)
        except ValueError as problem:
            raise _Refused(str(problem))
        if not listed:
            click.echo("no spaces listed")
        for space, ward_name in listed:
            details = [space.cost, space.name, ward_name or "no ward", space.address,
                       space.opening_hours or "hours not given", space.booking or "booking not given",
                       ",".join(space_store.features_of(space)) or "no features listed"]
            click.echo(f"{space.id}\t" + "\t".join(details))


@spaces.command("edit", help="Change a space's details; only the options given change.")
@click.argument("space_id", type=ROW_ID)
@_space_options
def spaces_edit(space_id: int, name, address, ward_slug, cost, booking, hours, features) -> None:
    from storage import spaces as space_store
    from storage.types import utcnow

    with _session() as session:
        try:
            space_store.update_space(session, space_id=space_id, now=utcnow(), name=name, address=address,
                                     ward_slug=ward_slug, cost=cost, booking=booking, opening_hours=hours,
                                     features=_comma_list(features))
        except (ValueError, LookupError) as problem:
            raise _Refused(f"not changed: {problem}")
        session.commit()
    click.echo(f"space {space_id} updated")


@spaces.command("remove", help="Remove a space (refused while an upcoming event is held there).")
@click.argument("space_id", type=ROW_ID)
def spaces_remove(space_id: int) -> None:
    from storage import spaces as space_store
    from storage.types import utcnow

    with _session() as session:
        try:
            space_store.remove_space(session, space_id=space_id, now=utcnow())
        except (ValueError, LookupError) as problem:
            raise _Refused(f"not removed: {problem}")
        session.commit()
    click.echo(f"space {space_id} removed")


@main.group(help="The 'get help' directory: support services residents are pointed to (families, young people, "
            "money, housing, mental health, drugs and alcohol, victims of crime, getting online).")
def services() -> None:
    pass


# Spelled out rather than imported from storage, so building the help loads no database layer
# (storage.help_services checks the values; tests/bot/test_services_cli.py checks these name them all).
HELP_CATEGORIES_HELP = ("families,young_people,money,housing,mental_health,drugs_alcohol,victims,"
                        "online_wifi,online_devices,online_skills")
HELP_LANGUAGES_HELP = "en,bn,syl,so,ur,ar,zh,pl,lt,es,pt,it,fr,tr,bsl"


def _service_options(command):
    """The options `services add` and `services edit` share (edit: only the ones given change)."""
    for option in reversed((
        click.option("--name", default=None),
        click.option("--categories", default=None, help=f"Comma-separated, one or more of: {HELP_CATEGORIES_HELP}."),
        click.option("--offer", default=None, help="What it offers, in short plain English (at most 500 characters)."),
        click.option("--offer-in", "offers", multiple=True, metavar="LANG=TEXT",
                     help="What it offers in another language, e.g. bn=…; repeatable (edit: LANG= removes it)."),
        click.option("--phone", default=None, help="As residents dial it, e.g. \"0808 168 9111\" (edit: \"\" clears)."),
        click.option("--website", default=None, help="https://… (edit: \"\" clears)."),
        click.option("--address", default=None, help="Where it is, for a place residents visit (edit: \"\" clears)."),
        click.option("--ward", "ward_slug", default=None, help="Ward slug, e.g. weavers; none: the whole borough "
                     "(edit: \"\" for none)."),
        click.option("--hours", default=None, help="Opening hours, e.g. \"Mon-Fri 9:00-17:00\" (edit: \"\" clears)."),
        click.option("--cost", default=None, help=f"{SPACE_COSTS_HELP} (add: free if not given)."),
        click.option("--languages", default=None, help=f"Spoken there, comma-separated: {HELP_LANGUAGES_HELP} "
                     "(edit: \"\" clears)."),
        click.option("--checked-on", "checked_on", default=None, type=click.DateTime(formats=["%Y-%m-%d"]),
                     help="The day its details were last confirmed, YYYY-MM-DD (add: today if not given)."),
    )):
        command = option(command)
    return command


@services.command("add", help="Add a service; prints its id alone on the last line.")
@_service_options
def services_add(name, categories, offer, offers, phone, website, address, ward_slug, hours, cost, languages,
                 checked_on) -> None:
    from storage import help_services
    from storage.types import utcnow

    if name is None or categories is None or offer is None:
        raise _Refused("not added: --name, --categories and --offer are required")
    with _session() as session:
        try:
            service = help_services.add_help_service(
                session, name=name, categories=_comma_list(categories), offer=offer, now=utcnow(),
                offers=_language_texts(offers, "--offer-in"), phone=phone, website=website, address=address,
                ward_slug=ward_slug, opening_hours=hours, cost=cost or "free", languages=_comma_list(languages) or (),
                checked_on=checked_on.date() if checked_on else None,
            )
        except ValueError as problem:  # UnknownChoice (an unknown ward) is a ValueError too
            raise _Refused(f"not added: {problem}")
        session.commit()
        click.echo(service.id)


@services.command("list", help="Every service: those unchecked for six months or more first (marked "
                  "NEEDS CHECKING), then the rest by name.")
@click.option("--category", default=None, help="Only this kind of support, e.g. money.")
def services_list(category) -> None:
    from storage import help_services
    from storage.types import utcnow

    today = help_services.london_day(utcnow())
    with _session() as session:
        try:
            listed = help_services.list_for_staff(session, today=today, category=category)
        except ValueError as problem:
            raise _Refused(str(problem))
        if not listed:
            click.echo("no services listed")
        for service, ward_name, stale in listed:
            details = [
                "NEEDS CHECKING" if stale else "checked", service.checked_on.isoformat(), service.name,
                ",".join(service.categories), ward_name or "whole borough", service.phone or "no phone",
                service.website or "no website", service.address or "no address",
                ",".join(service.languages) or "languages not given",
                ",".join(sorted(service.offers)) or "English only",
            ]
            click.echo(f"{service.id}\t" + "\t".join(details))


@services.command("edit", help="Change a service's details; only the options given change. Editing is not "
                  "checking: use `services check ID` once its details are confirmed.")
@click.argument("service_id", type=ROW_ID)
@_service_options
def services_edit(service_id: int, name, categories, offer, offers, phone, website, address, ward_slug, hours, cost,
                  languages, checked_on) -> None:
    from storage import help_services
    from storage.types import utcnow

    with _session() as session:
        try:
            merged = None
            if offers:
                service, _ = help_services.get_help_service(session, service_id=service_id)
                merged = dict(service.offers) | _language_texts(offers, "--offer-in")  # LANG= empties it: removed
            help_services.update_help_service(
                session, service_id=service_id, now=utcnow(), name=name, categories=_comma_list(categories),
                offer=offer, offers=merged, phone=phone, website=website, address=address, ward_slug=ward_slug,
                opening_hours=hours, cost=cost, languages=_comma_list(languages),
                checked_on=checked_on.date() if checked_on else None,
            )
        except (ValueError, LookupError) as problem:
            raise _Refused(f"not changed: {problem}")
        session.commit()
    click.echo(f"service {service_id} updated")


@services.command("check", help="Mark a service's details confirmed today.")
@click.argument("service_id", type=ROW_ID)
def services_check(service_id: int) -> None:
    from storage import help_services
    from storage.types import utcnow

    with _session() as session:
        try:
            service = help_services.mark_checked(session, service_id=service_id, now=utcnow())
        except LookupError as problem:
            raise _Refused(f"not checked: {problem}")
        session.commit()
        click.echo(f"service {service_id} checked on {service.checked_on.isoformat()}")


@services.command("remove", help="Remove a service from the directory.")
@click.argument("service_id", type=ROW_ID)
def services_remove(service_id: int) -> None:
    from storage import help_services

    with _session() as session:
        try:
            help_services.remove_help_service(session, service_id=service_id)
        except LookupError as problem:
            raise _Refused(f"not removed: {problem}")
        session.commit()
    click.echo(f"service {service_id} removed")


# How organisers read the topics of agenda items (the report categories, shortened for a list).
AGENDA_TOPICS = {"asb": "Anti-social behaviour", "drugs": "Drugs", "harassment": "Harassment",
                 "hate": "Hate incidents", "unsafe_place": "Unsafe places", "noise": "Noise", "other": "Other"}
AGENDA_STATUS = {"approved": "approved", "hidden": "hidden", "waiting": "waiting for approval"}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _language_in_english(code: str) -> str:
    """What residents wrote in, named as organisers name languages (storage/events.py: "Bengali", not CLDR's
    "Bangla"); English from CLDR for a language that table does not name."""
    from babel import Locale, UnknownLocaleError

    from storage.events import INTERPRETER_LANGUAGE_NAMES

    names = {"en": "English"} | INTERPRETER_LANGUAGE_NAMES
    if code in names:
        return names[code]
    try:
        return Locale.parse(code.replace("-", "_")).get_display_name("en") or code
    except (UnknownLocaleError, ValueError):
        return code


@events.command("agenda", help="\"Have your say\" items for an event, grouped by topic, most asked-for first, "
                "each with its id, whether residents see it (approved, hidden or waiting for approval), how "
                "many back it and its language.")
@click.argument("event_id", type=ROW_ID)
def events_agenda(event_id: int) -> None:
    from bot.agenda_translation import translate_missing
    from bot.translator import translator_from_settings
    from storage import agenda
    from storage.database import new_session

    settings = _settings()
    translator = translator_from_settings(settings)
    # With TRANSLATOR set, items not in English get English once, kept for the next look (and for staff).
    # One request per item, up to its timeout each: asked with no transaction open, between a short read
    # and a short save (which keeps the first translation if two organisers look at once).
    with _engine(settings) as engine:
        with new_session(engine) as session:
            event, _ward_name = _event_or_fail(session, event_id)
        made = translate_missing(engine, translator, event_id=event_id)
        with new_session(engine) as session:
            groups = agenda.grouped_agenda(session, event_id=event_id)
    click.echo(f"Agenda items for event {event_id}: {event.title}")
    if not groups:
        click.echo("no items yet")
        return
    untranslated = 0
    waiting = 0
    for group in groups:
        topic = AGENDA_TOPICS.get(group.topic, group.topic)
        click.echo(f"{topic} ({_plural(group.backers, 'backer')}, {_plural(len(group.items), 'item')})")
        for item in group.items:
            waiting += item.status == "waiting"
            click.echo(f"  item {item.item_id} ({AGENDA_STATUS[item.status]}; {_language_in_english(item.language)}; "
                       f"{_plural(item.backers, 'backer')}): {item.text}")
            if item.translation:
                # The engine is named for translations made now; the item does not record who made older ones.
                made_by = f", {made[item.item_id].engine_name}" if item.item_id in made else ""
                click.echo(f"      English (machine translation{made_by}): {item.translation}")
            elif item.language != "en":
                untranslated += 1
            if item.shown_text:
                click.echo(f"      residents see: {item.shown_text}")
    if untranslated and not translator.enabled:
        click.echo("Items not in English are shown as written: no translator is configured (TRANSLATOR=none).")
    elif untranslated:
        click.echo(f"Not translated this time: {_plural(untranslated, 'item')} ({translator.name} did not answer; "
                   "see the log), shown as written; the next look tries again.")
    if waiting:
        click.echo(f"{_plural(waiting, 'item')} waiting: other residents see an item only once you approve it "
                   "(events agenda-approve ITEM_ID [--text \"your wording, without names or addresses\"]); "
                   "events agenda-hide ITEM_ID keeps one from them.")


@events.command("agenda-approve", help="Let other residents see a \"have your say\" item and back it: as written, "
                "or with --text in your wording (leave out names, addresses and allegations). Approving again "
                "replaces the wording.")
@click.argument("item_id", type=ROW_ID)
@click.option("--text", "shown_text", default=None, help="The wording residents see instead of the resident's own.")
@click.option("--as-written", is_flag=True, help="Show the resident's own words (drops a wording given before).")
def events_agenda_approve(item_id: int, shown_text, as_written: bool) -> None:
    from storage import agenda
    from storage.types import utcnow

    with _session() as session:
        try:
            item = agenda.approve_item(session, item_id=item_id, shown_text=shown_text, as_written=as_written,
                                       now=utcnow())
        except (ValueError, LookupError) as problem:
            raise _Refused(f"not approved: {problem}")
        reworded = item.shown_text is not None
        session.commit()
    how = "in your wording" if reworded else "as written"
    click.echo(f"agenda item {item_id} approved: other residents see it {how} and can back it")


@events.command("agenda-hide", help="Keep a \"have your say\" item from other residents (it stays on your list).")
@click.argument("item_id", type=ROW_ID)
def events_agenda_hide(item_id: int) -> None:
    from storage import agenda
    from storage.types import utcnow

    with _session() as session:
        try:
            agenda.hide_item(session, item_id=item_id, now=utcnow())
        except LookupError as problem:
            raise _Refused(f"not hidden: {problem}")
        session.commit()
    click.echo(f"agenda item {item_id} hidden: other residents no longer see it or can back it")


@events.command("digest", help="Print the ward panel digest's public address (a meeting in a ward); with --send, "
                "also send the link once to everyone who said they are coming or is waiting, in their language.")
@click.argument("event_id", type=ROW_ID)
@click.option("--send", is_flag=True, help="Send the link (once per meeting: a second send sends nothing).")
def events_digest(event_id: int, send: bool) -> None:
    from bot.digest_send import DigestRefused, digest_url, send_digest_link, ward_slug_of
    from storage.types import utcnow

    settings, channels = _settings_and_channels()
    with _session(settings) as session:
        try:
            ward_slug = ward_slug_of(session, event_id=event_id)
        except LookupError as problem:
            raise click.ClickException(str(problem))
        if ward_slug is None:
            raise click.ClickException(f"event {event_id} is not in a ward, so it has no digest")
        click.echo(digest_url(settings.public_base_url, ward_slug=ward_slug, event_id=event_id))
        if not send:
            return
        try:
            sent = send_digest_link(session, event_id=event_id, staff_user_id=None, now=utcnow(), channels=channels,
                                    base_url=settings.public_base_url)
        except DigestRefused as refused:
            raise click.ClickException(str(refused))
        session.commit()
    if sent.already_sent:
        click.echo(f"not sent again: the link was already sent on {sent.sent_at:%Y-%m-%d %H:%M} UTC")
    else:
        click.echo(f"the link will be sent to {sent.queued} residents")


@events.command("feedback", help="What residents said after an event: how many answered, the average rating "
                "(1 to 5), how many gave each, and their comments.")
@click.argument("event_id", type=ROW_ID)
def events_feedback(event_id: int) -> None:
    from storage import feedback

    with _session() as session:
        event, _ward_name = _event_or_fail(session, event_id)
        summary = feedback.feedback_summary(session, event_id=event_id)
    click.echo(f"Feedback for event {event_id}: {event.title}")
    if not summary.count:
        click.echo("no answers yet")
        return
    click.echo(f"{_plural(summary.count, 'answer')}, average {summary.average:.1f} out of 5")
    for rating in range(5, 0, -1):
        click.echo(f"  {rating}: {summary.distribution[rating]}")
    if summary.comments:
        click.echo("Comments:")
        for comment, language in summary.comments:
            click.echo(f"  [{_language_in_english(language)}] {comment}")


# --- staff accounts (docs/staff.md) ----------------------------------------------------------------

@main.group(help="Staff accounts for the staff pages (/staff/login).")
def staff() -> None:
    pass


@staff.command("add", help="Add a staff account. Without --password a strong one is generated and printed once.")
@click.argument("email")
@click.option("--role", required=True, help="admin, officer, organiser or viewer.")
@click.option("--agency", "agency_slug", default=None,
              help="The agency's slug (council, housing, police...); required for every role but admin.")
@click.option("--password", default=None, help="At least 12 characters; better left out.")
def staff_add(email: str, role: str, agency_slug, password) -> None:
    from storage import staff as staff_store
    from storage.types import utcnow

    generated = password is None
    password = staff_store.generate_password() if generated else password
    with _session() as session:
        now = utcnow()
        try:
            user = staff_store.add_staff(session, email=email, role=role, agency_slug=agency_slug,
                                         password=password, now=now)
        except staff_store.StaffInputError as problem:
            raise _Refused(f"not added: {problem}")
        staff_store.record_audit(session, action="staff_added", now=now, staff_user_id=None,
                                 account=user.id, role=user.role, agency=agency_slug, by="command line")
        session.commit()
        click.echo(f"added {user.email} ({user.role}{', ' + agency_slug if agency_slug else ''})")
    if generated:
        click.echo(f"password (shown once, not stored anywhere in clear): {password}")


def _staff_account(session, email: str):
    """The account for EMAIL, or a refusal (exit code 2) naming the address."""
    from storage import staff as staff_store

    user = staff_store.find_staff_by_email(session, email=email)
    if user is None:
        raise _Refused(f"there is no staff account for {email!r}: `safer-homes staff add` adds one")
    return user


def _set_staff_active(email: str, active: bool) -> None:
    from storage import staff as staff_store
    from storage.types import utcnow

    with _session() as session:
        user = _staff_account(session, email)
        was_active = user.active
        try:
            staff_store.set_staff_active(session, staff_user_id=user.id, active=active, now=utcnow(),
                                         by="command line")
        except staff_store.AccountChangeRefused as problem:
            raise _Refused(f"not turned off: {problem}")
        session.commit()
        if was_active == active:
            click.echo(f"{user.email} was already {'on' if active else 'off'}; nothing changed")
        else:
            click.echo(f"{user.email} {'can sign in again' if active else 'is turned off and signed out'}")


@staff.command("disable", help="Turn a staff account off: it cannot sign in and is signed out at its next click.")
@click.argument("email")
def staff_disable(email: str) -> None:
    _set_staff_active(email, False)


@staff.command("enable", help="Turn a staff account back on.")
@click.argument("email")
def staff_enable(email: str) -> None:
    _set_staff_active(email, True)


@staff.command("reset-password",
               help="Give a staff account a new generated password, printed once; it must choose its own at its next "
                    "sign-in, and is signed out everywhere until then.")
@click.argument("email")
def staff_reset_password(email: str) -> None:
    from storage import staff as staff_store
    from storage.types import utcnow

    with _session() as session:
        user = _staff_account(session, email)
        _user, password = staff_store.reset_password(session, staff_user_id=user.id, now=utcnow(), by="command line")
        session.commit()
        click.echo(f"password reset for {user.email}; they choose their own at their next sign-in")
    click.echo(f"password (shown once, not stored anywhere in clear): {password}")


# --- subject access and erasure requests (docs/staff.md, "Subject access and erasure") ---------------------

SUBJECT_CHANNELS = ("telegram", "whatsapp", "sms")  # bot.subject_access.CHANNELS, spelled out for the help


@main.group(help="Answer a resident's subject access or erasure request. The person is found only from the "
            "address they give (or an anonymous report by its reference); the address is never stored or logged.")
def subject() -> None:
    pass


def _subject_address(channel, address) -> tuple[str, str]:
    """The channel and the address as its adapter stores it, or a refusal (exit code 2) saying what is expected."""
    from bot.subject_access import AddressRefused, normalise_address

    if not channel or not address:
        raise _Refused("give --channel and --address (or --reference for an anonymous report)")
    try:
        return channel, normalise_address(channel, address)
    except AddressRefused as problem:
        raise _Refused(f"--address: {problem}")


@subject.command("access", help="Print as JSON everything held about the person who uses ADDRESS on CHANNEL: their "
                 "contact, conversation, private and named reports (their words, updates sent to them), RSVPs, "
                 "agenda items and messages. With --reference, the one report with that reference instead. Nothing "
                 "about anyone else. Audited without the address.")
@click.option("--channel", type=click.Choice(SUBJECT_CHANNELS), default=None)
@click.option("--address", default=None, help="A phone number (+447700900456 or 07700 900456) or a Telegram chat id.")
@click.option("--reference", default=None, help="An anonymous report's reference, TH-XXXX-XXXX.")
@click.option("--with-internal-notes", is_flag=True,
              help="Include staff's internal notes and reasons (for the data protection officer, who decides "
                   "whether an exemption applies before anything is sent).")
def subject_access(channel, address, reference, with_internal_notes: bool) -> None:
    import json

    from bot import subject_access as requests
    from storage import staff as staff_store
    from storage.types import utcnow

    if reference and (channel or address):
        raise _Refused("give either --reference or --channel and --address, not both")
    settings = _settings()
    with _session(settings) as session:
        if reference:
            try:
                answer = requests.access_by_reference(session, reference=reference,
                                                      include_internal_notes=with_internal_notes)
            except requests.AddressRefused as problem:
                raise _Refused(f"--reference: {problem}")
            staff_store.record_audit(session, action="subject_access", now=utcnow(), by="command line",
                                     by_reference=True, found=answer["found"], internal_notes=with_internal_notes)
        else:
            channel, address = _subject_address(channel, address)
            answer = requests.access(session, settings, channel=channel, address=address,
                                     include_internal_notes=with_internal_notes)
            staff_store.record_audit(session, action="subject_access", now=utcnow(), by="command line",
                                     channel=channel, found=answer["found"], reports=len(answer.get("reports", [])),
                                     internal_notes=with_internal_notes)
        session.commit()
    click.echo(json.dumps(answer, ensure_ascii=False, indent=2))


@subject.command("erase", help="Forget the person who uses ADDRESS on CHANNEL, as `forget me` does: their contact, "
                 "conversation, messages, RSVPs, backings, names and every link to their reports go; the reports "
                 "stay, anonymous. Asks first unless --yes. Prints counts only; audited without the address.")
@click.option("--channel", type=click.Choice(SUBJECT_CHANNELS), required=True)
@click.option("--address", required=True, help="A phone number (+447700900456 or 07700 900456) or a Telegram chat id.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def subject_erase(channel, address, yes: bool) -> None:
    from bot import subject_access as requests
    from storage import staff as staff_store
    from storage.types import utcnow

    channel, address = _subject_address(channel, address)
    settings = _settings()
    with _session(settings) as session:
        if requests.find_contact_id(session, settings, channel=channel, address=address) is None:
            click.echo(f"nothing is held for that {channel} address; nothing changed")
            return
        if not yes:
            click.confirm(f"Forget everything held for this {channel} address? Their reports stay, anonymous. "
                          f"This cannot be undone", abort=True)
        erased = requests.erase(session, settings, channel=channel, address=address, now=utcnow())
        counts = requests.erased_counts(erased)
        staff_store.record_audit(session, action="subject_erased", now=utcnow(), by="command line", channel=channel,
                                 **counts)
        session.commit()
    click.echo("forgotten: " + " ".join(f"{name}={value}" for name, value in counts.items() if name != "found"))


@main.group("open311", help="Open311 GeoReport v2 at /open311/v2/ (docs/open311.md).")
def open311_group() -> None:
    pass


@open311_group.group("key", help="API keys that let council systems create reports (POST requests).")
def open311_key() -> None:
    pass


@open311_key.command("add", help="Make a key for NAME (whose system uses it); prints the key once, alone on the "
                     "last line. Only a hash of it is kept.")
@click.argument("name")
def open311_key_add(name: str) -> None:
    from storage import api_keys
    from storage.types import utcnow

    with _session() as session:
        try:
            row, key = api_keys.create_api_key(session, name=name, now=utcnow())
        except api_keys.ApiKeyInputError as problem:
            raise _Refused(f"not added: {problem}")
        session.commit()
        click.echo(f"added Open311 key {row.id} for {row.name}; the key is shown once, on the next line:")
    click.echo(key)


@open311_key.command("revoke", help="Refuse a key from now on (by the id `open311 key list` shows).")
@click.argument("key_id", type=ROW_ID)
def open311_key_revoke(key_id: int) -> None:
    from storage import api_keys
    from storage.types import utcnow

    with _session() as session:
        try:
            row, revoked = api_keys.revoke_api_key(session, key_id=key_id, now=utcnow())
        except api_keys.ApiKeyInputError as problem:
            raise _Refused(str(problem))
        session.commit()
        click.echo(f"key {row.id} ({row.name}) {'is revoked' if revoked else 'was already revoked; nothing changed'}")


@open311_key.command("list", help="Every key: id, name, made, last used (to the minute) and whether revoked.")
def open311_key_list() -> None:
    from zoneinfo import ZoneInfo

    from storage import api_keys

    london = ZoneInfo("Europe/London")

    def when(moment) -> str:
        return moment.astimezone(london).strftime("%Y-%m-%d %H:%M") if moment else "never"

    with _session() as session:
        rows = api_keys.list_api_keys(session)
    if not rows:
        click.echo("no Open311 keys yet: `safer-homes open311 key add NAME` makes one")
    for row in rows:
        state = f"revoked {when(row.revoked_at)}" if row.revoked_at else "live"
        click.echo(f"{row.id}\t{row.name}\tmade {when(row.created_at)}\tlast used {when(row.last_used_at)}\t{state}")


# --- keys: after SECRET_KEY changes (docs/operations.md, "Rotating the key") ------------------------------

# Exit codes of `keys rotate` and `keys check` (1 and 2 stay click's: a bad setting, a usage error).
KEYS_ALL_CURRENT, KEYS_PREVIOUS_LEFT, KEYS_UNREADABLE = 0, 3, 4
# `keys rotate` passes over everything again while a pass leaves something under a previous key (a row
# in the middle of a resident's turn is passed over, not waited for), at most this many times.
KEYS_ROTATE_PASSES = 3


@main.group("keys", help="Move sealed values and contacts' hashes to SECRET_KEY after it changes, and count what "
             "is still under a previous key (SECRET_KEY_PREVIOUS). Prints counts, never a value.")
def keys_group() -> None:
    pass


@keys_group.command("rotate", help="Re-seal every value and re-hash every contact still under a key in "
                    "SECRET_KEY_PREVIOUS with SECRET_KEY, a batch per transaction: a crash part way leaves "
                    "nothing unreadable, and running it again finishes the job (what is done is left). Exit "
                    "0: everything is under SECRET_KEY; 3: something is still under a previous key (run it "
                    "again); 4: some values open with no configured key.")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 100_000),
              help="Rows per transaction.")
def keys_rotate(batch_size: int) -> None:
    from storage import key_rotation
    from storage.database import new_read_session

    settings = _settings()
    keys = settings.key_ring
    moved = key_rotation.KeyCounts()
    with _engine(settings) as engine:
        for _pass in range(KEYS_ROTATE_PASSES):
            moved.add(_rotate_every_batch(engine, keys, batch_size))
            with new_read_session(engine) as session:
                left = key_rotation.check(session, keys=keys)
            if not left.previous:
                break
    kinds = key_rotation.KINDS
    click.echo("moved to SECRET_KEY now: " + ", ".join(f"{kind} {moved.tally(kind).moved}" for kind in kinds))
    if moved.superseded:
        click.echo(f"{moved.superseded} of those contact hashes were superseded: the address already had a contact "
                   f"under SECRET_KEY (a process ran with the old key after the change); the extra contact keeps "
                   f"its reports and is no longer looked up")
    _echo_key_counts(left, kinds)
    sys.exit(_keys_exit_code(left))


def _rotate_every_batch(engine, keys, batch_size: int):
    """One pass over every sealed and hashed value, committing after each batch."""
    from sqlalchemy.exc import DBAPIError

    from storage import key_rotation
    from storage.database import new_session

    counts = key_rotation.KeyCounts()

    def in_batches(rotate_batch) -> None:
        after = 0
        while True:
            try:
                with new_session(engine) as session:
                    last, done = rotate_batch(session, after)
                    session.commit()
            except DBAPIError as error:
                # The type only: the database's message could quote a hash.
                raise click.ClickException(f"a batch failed and was rolled back ({type(error.orig).__name__}); "
                                           f"nothing is unreadable: run `safer-homes keys rotate` again")
            if last is None:
                return
            counts.add(done)
            after = last

    in_batches(lambda session, after: key_rotation.rotate_contacts(session, keys=keys, after_id=after, limit=batch_size))
    for label, *_rest in key_rotation.SEALED_COLUMNS:
        in_batches(lambda session, after, label=label: key_rotation.rotate_sealed(
            session, keys=keys, label=label, after=after, limit=batch_size))
    in_batches(lambda session, after: key_rotation.rotate_draft_names(session, keys=keys, after_id=after,
                                                                      limit=batch_size))
    return counts


@keys_group.command("check", help="Count the values under SECRET_KEY, under a key in SECRET_KEY_PREVIOUS, and "
                    "under no configured key. Changes nothing. Exit 0: everything is under SECRET_KEY "
                    "(SECRET_KEY_PREVIOUS can go, docs/operations.md); 3: something is still under a previous "
                    "key (run `keys rotate`); 4: some values open with no configured key.")
def keys_check() -> None:
    from storage import key_rotation
    from storage.database import new_read_session

    settings = _settings()
    with _engine(settings) as engine, new_read_session(engine) as session:
        counts = key_rotation.check(session, keys=settings.key_ring)
    _echo_key_counts(counts, key_rotation.KINDS)
    sys.exit(_keys_exit_code(counts))


def _echo_key_counts(counts, kinds) -> None:
    width = max(len(kind) for kind in kinds)
    click.echo(f"{'':{width}}  {'SECRET_KEY':>10}  {'previous':>8}  {'no key opens':>12}")
    for kind in kinds:
        tally = counts.tally(kind)
        click.echo(f"{kind:{width}}  {tally.current + tally.moved:>10}  {tally.previous:>8}  {tally.unreadable:>12}")
    click.echo(f"contacts with no address kept (the web chat's, and those whose address retention cleared): "
               f"{counts.without_address}; their hashes cannot be checked here: each moves to SECRET_KEY when its "
               f"resident next writes while SECRET_KEY_PREVIOUS is set")
    if counts.unreadable:
        click.echo(f"{counts.unreadable} values open with no configured key: was a key left out of "
                   f"SECRET_KEY_PREVIOUS? They stay as they are.")
    elif counts.previous:
        click.echo(f"{counts.previous} values are still under a previous key: keep SECRET_KEY_PREVIOUS and run "
                   f"`safer-homes keys rotate`")
    else:
        click.echo("every sealed value and every hash that can be checked is under SECRET_KEY")


def _keys_exit_code(counts) -> int:
    if counts.unreadable:
        return KEYS_UNREADABLE
    return KEYS_PREVIOUS_LEFT if counts.previous else KEYS_ALL_CURRENT


if __name__ == "__main__":
    sys.exit(main())
