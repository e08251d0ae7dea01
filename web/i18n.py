"""The language of a page: ?lang= first, then Accept-Language, then English; dir for RTL scripts; and
the one way Python code on the web side says words in a language (`translator`, or `_` / `ngettext` for
the page's own)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from flask import g, has_request_context, request
from markupsafe import Markup, escape

from flows import bidi, i18n


# The staff workspace's own words are translated only for these (flows/i18n.Language.staff_pages); a staff
# page asked for another language is shown in the best of these rather than half in English.
STAFF_LANGUAGES = tuple(language for language in i18n.LANGUAGES if language.staff_pages)


def page_language(offered: tuple[i18n.Language, ...] = i18n.LANGUAGES) -> str:
    """?lang= first, then Accept-Language, then English: the first of `offered` that matches."""
    codes = {language.code for language in offered}
    explicit = i18n.best_match(request.args.get("lang"))
    if explicit in codes:
        return explicit
    for requested, _quality in request.accept_languages:
        matched = i18n.best_match(requested)
        if matched in codes:
            return matched
    return i18n.DEFAULT_LANGUAGE


def offered_languages() -> tuple[i18n.Language, ...]:
    """The languages this request's page can be shown in: every shipped one, or the staff pages' own."""
    if not has_request_context():
        return i18n.LANGUAGES
    # By the address too: an address under /staff that no route matched has no blueprint, and its 404 is the
    # staff pages' own (web/errors.py), which would otherwise be drawn in Urdu with half its words in English.
    staff = request.blueprint == "staff" or request.path == "/staff" or request.path.startswith("/staff/")
    return STAFF_LANGUAGES if staff else i18n.LANGUAGES


@dataclass(frozen=True)
class Translator:
    """The catalogue of one language, with named placeholders filled in (`%(name)s`), as the templates'
    `_` and `ngettext` do. Call its methods `_` and `ngettext` so script/translations extracts the words."""

    lang: str

    # Right-to-left pages isolate each filled-in value, as the bot's messages do (flows/bidi.py).
    def _(self, msgid: str, /, **params) -> str:
        text = i18n.translations(self.lang).gettext(msgid)
        return bidi.fill(text, params, self.lang) if params else bidi.as_written(text, self.lang)

    def ngettext(self, singular: str, plural: str, num: int, /, **params) -> str:
        """The plural form for `num`, filled in with `num` (or a `num=` given, e.g. in the language's digits)
        and `params`."""
        text = i18n.translations(self.lang).ngettext(singular, plural, num)
        return bidi.fill(text, {"num": num, **params}, self.lang)


@lru_cache(maxsize=32)
def translator(lang: str) -> Translator:
    """Words in `lang` (a shipped code: what best_match or page_language gave)."""
    return Translator(lang)


def current_language() -> str:
    """This request's language (chosen once, before the request, by `choose_language` below; a blueprint
    with its own rule, such as Open311's `locale`, sets g.lang again in its own before_request)."""
    return g.get("lang", i18n.DEFAULT_LANGUAGE)


def _(msgid: str, /, **params) -> str:
    """`msgid` in this request's language, filled in."""
    return translator(current_language())._(msgid, **params)


def ngettext(singular: str, plural: str, num: int, /, **params) -> str:
    """The plural form for `num` in this request's language, filled in."""
    return translator(current_language()).ngettext(singular, plural, num, **params)


def install(app) -> None:
    """Jinja's i18n extension, answering in the language chosen for this request."""
    app.jinja_env.add_extension("jinja2.ext.i18n")

    # Jinja treats what gettext returns as trusted markup. Catalogues come from community translators,
    # so translations are escaped here: a stray quote or tag in a .po file can never become page markup.
    # These are Jinja's "newstyle" callables (`_("…", name=value)` fills the placeholders, always) written
    # out, so that a right-to-left page isolates each value as it is filled in (flows/bidi.py): Unicode
    # isolates rather than <bdi>, because the same `_` fills <title> and attributes, where tags are text.
    def gettext(msgid: str, /, **variables) -> Markup:
        lang = current_language()
        return bidi.fill(escape(i18n.translations(lang).gettext(msgid)), variables, lang)

    def ngettext(singular: str, plural: str, num: int, /, **variables) -> Markup:
        lang = current_language()
        variables.setdefault("num", num)
        return bidi.fill(escape(i18n.translations(lang).ngettext(singular, plural, num)), variables, lang)

    app.jinja_env.newstyle_gettext = True
    app.jinja_env.globals.update(gettext=gettext, ngettext=ngettext)

    @app.before_request
    def choose_language() -> None:
        g.lang = page_language(offered_languages())

    @app.context_processor
    def language_context() -> dict:
        language = i18n.BY_CODE[current_language()]
        return {"lang": language.code, "dir": "rtl" if language.rtl else "ltr", "languages": offered_languages()}
