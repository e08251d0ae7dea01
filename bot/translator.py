"""Machine translation of residents' own words into English for staff and organisers (TRANSLATOR).

Three translators share one small interface, `translate(text, *, source, target="en")`, which answers a
`Translation` or None: `none` (the default) sends nothing anywhere and always answers None; `libre` asks a
self-hosted LibreTranslate server; `google` asks Google Translate through deep-translator, a third-party
processor (docs/privacy.md). A translation is a help for staff, never a requirement: an error, a refusal or
a timeout answers None, is logged without the text, and whatever asked carries on with the words as written.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Optional, Protocol

import httpx

log = logging.getLogger(__name__)

# Long enough for a small LibreTranslate server to translate a 2,000-character item; short enough that a
# stuck translator does not hold an organiser's command for long (each item waits at most this long).
DEFAULT_TIMEOUT_SECONDS = 10.0

# Sylheti has no standard written form in everyday use: residents who choose it write in Bengali script
# (or in English letters), so Bengali is the closest source for text. Both engines take "bn".
_SOURCE_ALIASES = {"syl": "bn"}
# Google names the Chinese scripts after regions; LibreTranslate (1.6 and later) uses the script codes we do.
_GOOGLE_CODES = {"zh-Hans": "zh-CN", "zh-Hant": "zh-TW"}


@dataclass(frozen=True)
class Translation:
    """Machine-translated text and the engine that made it, so it is always shown labelled as such."""

    text: str
    engine_name: str


class Translator(Protocol):
    name: str
    enabled: bool

    def translate(self, text: str, *, source: str, target: str = "en") -> Optional[Translation]: ...


def source_language(language: str) -> str:
    """The code to send for a resident's language (Sylheti goes as Bengali)."""
    return _SOURCE_ALIASES.get(language, language)


class NoTranslator:
    """TRANSLATOR=none: nothing leaves the server; staff read residents' words as written."""

    name = "none"
    enabled = False

    def translate(self, text: str, *, source: str, target: str = "en") -> Optional[Translation]:
        return None


class LibreTranslator:
    """A LibreTranslate server (POST {url}/translate, as its API documents), ideally run beside this service so
    residents' words stay on machines the operator controls."""

    name = "LibreTranslate"
    enabled = True

    def __init__(self, url: str, *, api_key: str = "", timeout: float = DEFAULT_TIMEOUT_SECONDS,
                 transport: Optional[httpx.BaseTransport] = None):
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self._transport = transport

    def translate(self, text: str, *, source: str, target: str = "en") -> Optional[Translation]:
        source = source_language(source)
        payload = {"q": text, "source": source, "target": target, "format": "text"}
        if self.api_key:
            payload["api_key"] = self.api_key
        try:
            with httpx.Client(timeout=self.timeout, transport=self._transport) as client:
                response = client.post(f"{self.url}/translate", json=payload)
        except httpx.HTTPError as problem:
            # The exception's class says enough (timeout, refused); its message could carry the request.
            log.warning("LibreTranslate did not answer a %s->%s request: %s", source, target, type(problem).__name__)
            return None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200:
            # Only the status and whether an "error" came: its words can quote the resident's, in part or
            # translated, so no part of it is logged.
            log.warning("LibreTranslate refused a %s->%s request: HTTP %s, %s", source, target,
                        response.status_code, _error_field(body))
            return None
        translated = body.get("translatedText") if isinstance(body, dict) else None
        if not isinstance(translated, str) or not translated.strip():
            log.warning("LibreTranslate answered a %s->%s request without a translation", source, target)
            return None
        return Translation(text=translated.strip(), engine_name=self.name)


class GoogleTranslator:
    """Google Translate through deep-translator: residents' words go to Google, a third-party processor
    (docs/privacy.md says so, and staff see every such translation labelled "Google Translate")."""

    name = "Google Translate"
    enabled = True

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT_SECONDS):
        self.timeout = timeout

    def translate(self, text: str, *, source: str, target: str = "en") -> Optional[Translation]:
        code = _GOOGLE_CODES.get(source_language(source), source_language(source))
        answer: dict = {}

        def ask_google() -> None:
            # Imported here so deep-translator (and requests) load only where TRANSLATOR=google.
            from deep_translator import GoogleTranslator as DeepGoogle

            try:
                answer["text"] = DeepGoogle(source=code, target=_GOOGLE_CODES.get(target, target)).translate(text)
            except Exception as problem:  # deep-translator raises its own classes, requests' and ValueErrors
                answer["problem"] = type(problem).__name__

        # deep-translator calls requests without a timeout, so the call runs in a daemon thread and we stop
        # waiting for it after self.timeout (a stuck request then ends with the process, not the command).
        worker = threading.Thread(target=ask_google, name="google-translate", daemon=True)
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive():
            log.warning("Google Translate did not answer a %s->%s request within %ss", code, target, self.timeout)
            return None
        if "problem" in answer:
            log.warning("Google Translate refused a %s->%s request: %s", code, target, answer["problem"])
            return None
        translated = answer.get("text")
        if not isinstance(translated, str) or not translated.strip():
            log.warning("Google Translate answered a %s->%s request without a translation", code, target)
            return None
        return Translation(text=translated.strip(), engine_name=self.name)


def translator_from_settings(settings) -> Translator:
    """The translator TRANSLATOR names (Settings.from_env has already refused any other value)."""
    if settings.translator == "libre":
        return LibreTranslator(settings.libretranslate_url, api_key=settings.libretranslate_api_key)
    if settings.translator == "google":
        return GoogleTranslator()
    return NoTranslator()


def _error_field(body) -> str:
    """For the log: whether LibreTranslate's answer had an "error" field, never what it says."""
    if isinstance(body, dict) and "error" in body:
        return "with an error field (not logged)"
    return "without an error field"
