"""The language of a page: ?lang= first, then Accept-Language, then English; dir for RTL scripts."""
from __future__ import annotations

from flask import g, request
from markupsafe import Markup, escape

from flows import i18n


def page_language() -> str:
    explicit = i18n.best_match(request.args.get("lang"))
    if explicit:
        return explicit
    for requested, _quality in request.accept_languages:
        matched = i18n.best_match(requested)
        if matched:
            return matched
    return i18n.DEFAULT_LANGUAGE


def install(app) -> None:
    """Jinja's i18n extension, answering in the language chosen for this request."""
    app.jinja_env.add_extension("jinja2.ext.i18n")

    # Jinja treats what gettext returns as trusted markup. Catalogues come from community translators,
    # so translations are escaped here: a stray quote or tag in a .po file can never become page markup.
    def gettext(msgid: str, /) -> Markup:
        return escape(i18n.translations(g.get("lang", i18n.DEFAULT_LANGUAGE)).gettext(msgid))

    def ngettext(singular: str, plural: str, n: int, /) -> Markup:
        return escape(i18n.translations(g.get("lang", i18n.DEFAULT_LANGUAGE)).ngettext(singular, plural, n))

    app.jinja_env.install_gettext_callables(gettext, ngettext, newstyle=True)

    @app.before_request
    def choose_language() -> None:
        g.lang = page_language()

    @app.context_processor
    def language_context() -> dict:
        language = i18n.BY_CODE[g.get("lang", i18n.DEFAULT_LANGUAGE)]
        return {"lang": language.code, "dir": "rtl" if language.rtl else "ltr", "languages": i18n.LANGUAGES}
