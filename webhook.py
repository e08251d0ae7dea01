"""create_app(config=None): the Flask application factory and WSGI entry (`webhook:app`)."""
from __future__ import annotations

import logging
from typing import Any, Mapping, Optional

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from bot.channels.registry import configured_channels
from bot.delivery import Deliverer
from bot.log_scrubbing import install_log_scrubbing
from bot.flood import FloodGuard
from bot.settings import Settings
from bot.translator import translator_from_settings
from storage.database import make_engine
from storage.types import utcnow


def create_app(config: Optional[Mapping[str, Any]] = None) -> Flask:
    """Build the app from the environment, with `config` (for tests) overriding Settings fields."""
    from bot import webchat
    from bot import webchat_voice
    from bot.channels import telegram as telegram_webhook
    from bot.channels import twilio as twilio_webhook
    from web import chat, events as event_pages, health
    from web import staff as staff_pages
    from web import i18n as page_languages
    from web import row_ids
    from web import open311 as open311_api
    from web import public as public_pages
    from web import public_downloads
    from web import digest as digest_pages
    from web import audio_prompts as audio_prompt_files
    from web import errors as page_errors
    from web import security_headers

    settings = Settings.from_env()
    overrides = dict(config or {})
    settings_fields = {name: overrides.pop(name) for name in list(overrides) if hasattr(settings, name)}
    settings = settings.with_overrides(**settings_fields)
    # Before anything logs: every record this process makes is scrubbed (bot/log_scrubbing.py), which covers
    # `gunicorn webhook:app` too, where the `safer-homes` command has not installed it.
    install_log_scrubbing(settings)

    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    if settings.trusted_proxy_count:
        # Only the client's address (for the staff login's per-address limit), and only when configured:
        # otherwise anyone could choose their address by sending X-Forwarded-For. Scheme and host still
        # come from PUBLIC_BASE_URL, as the Twilio signature check expects.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxy_count, x_proto=0, x_host=0)
    # Nothing posted to this service is large (webhooks, chat messages); a body is never read past 1 MB.
    app.config.update(SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=1024 * 1024)
    app.config.update(**overrides)
    # The clock the web process gives the flows; tests replace it with a fixed one.
    app.extensions["safer_homes.clock"] = utcnow
    app.extensions["safer_homes.settings"] = settings
    app.extensions["safer_homes.engine"] = make_engine(settings.database_url)
    app.extensions["safer_homes.deliverer"] = Deliverer(
        app.extensions["safer_homes.engine"], settings, configured_channels(settings)
    )
    # Flood limits on residents' messages (bot/flood.py): one set of counters per app, in memory or Redis.
    app.extensions["safer_homes.flood"] = FloodGuard.from_settings(settings)
    # The staff pages' machine translation (TRANSLATOR): one per app, as the settings it comes from.
    app.extensions["safer_homes.translator"] = translator_from_settings(settings)

    row_ids.install(app)
    page_languages.install(app)
    app.register_blueprint(webchat.blueprint)
    app.register_blueprint(webchat_voice.blueprint)
    app.register_blueprint(telegram_webhook.blueprint)
    app.register_blueprint(twilio_webhook.blueprint)
    app.register_blueprint(chat.blueprint)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(event_pages.blueprint)
    app.register_blueprint(open311_api.blueprint)
    app.register_blueprint(public_pages.blueprint)
    app.register_blueprint(public_downloads.blueprint)
    app.register_blueprint(digest_pages.blueprint)
    app.register_blueprint(audio_prompt_files.public)
    staff_pages.install(app, settings)
    page_errors.install(app)
    # Last, so it runs after every part's own headers and fills only what they left out.
    security_headers.install(app, settings)
    logging.getLogger("bot").setLevel(logging.INFO)
    return app


def __getattr__(name: str):
    # `gunicorn webhook:app` works without building an app at import time for everyone else.
    if name == "app":
        return create_app()
    raise AttributeError(name)
