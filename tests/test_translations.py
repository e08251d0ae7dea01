"""Every shipped language has a complete, well-formed catalogue that matches the code.

What a failure means and how to fix it is in docs/translations.md. In short: run `script/translations`
after changing any resident-facing string, then fill every empty msgstr in each
translations/<lang>/LC_MESSAGES/messages.po. Each failure names the language and the msgid.
"""
from __future__ import annotations

import gettext
import re
import shlex
from functools import lru_cache
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po

from flows import i18n
from flows.i18n import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
POT = TRANSLATIONS / "messages.pot"
SCRIPT = ROOT / "script" / "translations"
DOCS = ROOT / "docs" / "translations.md"

SOURCE_LANGUAGE = "en"
SHIPPED = [language.code for language in LANGUAGES if language.code != SOURCE_LANGUAGE]

# Words a resident types (flows/home.py COMMAND_WORDS and flows/status.py STATUS_WORD).
GLOBAL_COMMANDS = ("menu", "help", "stop", "start", "language")
COMMANDS = GLOBAL_COMMANDS + ("status",)
# A command word is matched before the choices, so a label equal to a command word runs the command.
# That is harmless only where the label means the same thing.
SAME_MEANING = {("Help", "help"), ("Main menu", "menu"), ("Change language", "language"), ("Start again", "start")}

# Text that must reach the resident exactly as in English: phone numbers and the example reference code.
PROTECTED = re.compile(r"TH-[0-9A-Z]{4}-[0-9A-Z]{4}|[0-9]+(?: [0-9]+)*")
# Python %-style named placeholders, as formatted by flows.engine.Turn and web/i18n.py.
PLACEHOLDER = re.compile(r"%\((?P<name>[^)]*)\)[#0 +-]*[0-9]*(?:\.[0-9]+)?[diouxXeEfFgGcrsa]")
# The count in a plural form: a language may leave it out of a form (Arabic says "day" and "two days" with
# no number). The flows name it "n"; the pages' ngettext (web/i18n.py) names it "num".
COUNT_NAMES = {"n", "num"}
# Review list rows in docs/translations.md: | `bn` | ... | draft |
REVIEW_ROW = re.compile(r"^\|\s*`(?P<code>[A-Za-z0-9-]+)`\s*\|[^|]*\|\s*\**(?P<status>[a-z]+)\**\s*\|")
DRAFT_HEADER = "X-Translation-Status"


# --- loading -------------------------------------------------------------------------------------

def po_path(code: str) -> Path:
    return TRANSLATIONS / code / "LC_MESSAGES" / "messages.po"


@lru_cache(maxsize=None)
def template() -> Catalog:
    with POT.open("rb") as pot_file:
        return read_po(pot_file)


@lru_cache(maxsize=None)
def catalogue(code: str) -> Catalog:
    path = po_path(code)
    if not path.exists():
        pytest.fail(
            f"{code}: no catalogue at {path.relative_to(ROOT)} although flows/i18n.py LANGUAGES ships {code!r}. "
            f"Create it with `.venv/bin/pybabel init -i translations/messages.pot -d translations -l {code}`."
        )
    with path.open("rb") as po_file:
        return read_po(po_file, locale=code.replace("-", "_"))


def template_messages() -> list[Message]:
    return [message for message in template() if message.id]


# Where the staff workspace's own words come from: a msgid found only here is translated only for the
# languages with Language.staff_pages (staff pages offer no other; web/i18n.py STAFF_LANGUAGES).
STAFF_SOURCES = ("web/staff", "web/templates/staff/")
# The easy-read wording set's entries carry this context; they are written only for Language.easy_read.
EASY_READ_CONTEXT = "easy read"


def is_staff_only(message: Message) -> bool:
    return bool(message.locations) and all(path.startswith(STAFF_SOURCES) for path, _line in message.locations)


def needed_in(code: str, message: Message) -> bool:
    """Whether `code`'s catalogue must translate `message`: every resident-facing and public word always;
    the staff pages' words and the easy-read set only where that language offers them."""
    language = i18n.BY_CODE[code]
    if is_staff_only(message) and not language.staff_pages:
        return False
    if message.context == EASY_READ_CONTEXT and not language.easy_read:
        return False
    return True


def show(msgid: str | tuple) -> str:
    """The msgid as a failure message names it: the singular, shortened."""
    text = msgid[0] if isinstance(msgid, tuple) else msgid
    text = text.replace("\n", "\\n")
    return repr(text if len(text) <= 90 else text[:87] + "...")


def forms(message: Message) -> list[str]:
    if isinstance(message.string, (tuple, list)):
        return list(message.string)
    return [message.string]


def english_forms(message: Message) -> list[str]:
    return list(message.id) if isinstance(message.id, tuple) else [message.id]


def translated(code: str, msgid: str) -> str:
    message = catalogue(code).get(msgid)
    return message.string if message is not None and message.string else ""


def placeholders(text: str) -> set[str]:
    return {match.group(0) for match in PLACEHOLDER.finditer(text)}


def header_fields(code: str) -> dict[str, str]:
    """The header entry as written in the file (Babel's read_po keeps only the headers it knows)."""
    text = po_path(code).read_text(encoding="utf-8")
    match = re.search(r'^msgid ""\nmsgstr ""\n((?:".*"\n)*)', text, re.MULTILINE)
    assert match, f"{code}: {po_path(code).relative_to(ROOT)} has no header entry"
    raw = "".join(line[1:-1] for line in match.group(1).splitlines())
    raw = raw.replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")
    fields = {}
    for line in raw.splitlines():
        name, separator, value = line.partition(":")
        if separator:
            fields[name.strip()] = value.strip()
    return fields


def review_list() -> dict[str, str]:
    """Language code -> "draft" / "reviewed" / "source", from the review list in docs/translations.md."""
    assert DOCS.exists(), "docs/translations.md is missing: it holds the review list of every shipped language"
    statuses, in_section = {}, False
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            in_section = line[3:].strip().lower().startswith("review list")
            continue
        match = REVIEW_ROW.match(line) if in_section else None
        if match:
            statuses[match.group("code")] = match.group("status")
    return statuses


def extraction_options() -> tuple[str, dict, list[str]]:
    """The mapping file, keywords and comment tags that script/translations gives `pybabel extract`."""
    script = SCRIPT.read_text(encoding="utf-8").replace("\\\n", " ")
    line = next((line for line in script.splitlines() if "pybabel extract" in line), None)
    assert line, "script/translations no longer runs `pybabel extract`; update tests/test_translations.py"
    args = shlex.split(line)
    mapping, keywords, comment_tags, defaults = None, [], [], True
    for index, arg in enumerate(args):
        value = args[index + 1] if index + 1 < len(args) else None
        if arg in ("-F", "--mapping-file", "--mapping"):
            mapping = value
        elif arg in ("-k", "--keyword", "--keywords"):
            keywords.append(value)
        elif arg in ("-c", "--add-comments"):
            comment_tags.append(value)
        elif arg == "--no-default-keywords":
            defaults = False
    assert mapping, "script/translations passes no -F mapping file to pybabel extract"
    keyword_specs = dict(DEFAULT_KEYWORDS) if defaults else {}
    keyword_specs.update(parse_keywords(keywords))
    return mapping, keyword_specs, comment_tags


def extract_msgids_from_code() -> set:
    mapping, keywords, comment_tags = extraction_options()
    with (ROOT / mapping).open() as mapping_file:
        method_map, options_map = parse_mapping_cfg(mapping_file, filename=mapping)
    for pattern, method in method_map:
        if method == "jinja2":
            # Jinja's extractor skips a template it cannot parse without a word; here that is an error.
            options_map.setdefault(pattern, {})["silent"] = "false"
    found, current = set(), {}

    def note_file(filename: str, method: str, options: dict) -> None:
        current["file"] = filename

    try:
        for _filename, _lineno, message, _comments, _context in extract_from_dir(
            ROOT, method_map, options_map, keywords=keywords, comment_tags=comment_tags, callback=note_file
        ):
            found.add((_context, message if isinstance(message, str) else tuple(message)))
    except Exception as error:  # a syntax error in a source file: say which file
        pytest.fail(f"could not extract strings from {current.get('file')}: {type(error).__name__}: {error}")
    return {(context, msgid) for context, msgid in found if msgid}


def cldr_plural_rule(code: str):
    return Locale.parse(code.replace("-", "_")).plural_form


# Whole numbers are all a count ever is here: gettext forms are the CLDR categories whole numbers reach
# (Polish "other" and Lithuanian "many" are for fractions only; Spanish "many" is for whole millions).
COUNTS = (*range(0, 1001), 10**6, 2 * 10**6, 10**6 + 1)


def cldr_integer_tags(rule) -> list[str]:
    """The rule's categories that some whole number takes, in CLDR order with "other" last."""
    reached = {rule(n) for n in COUNTS}
    order = ("zero", "one", "two", "few", "many", "other")
    return [tag for tag in order if tag in reached]


def cldr_plural_index(rule, n: int) -> int:
    """The gettext form a whole number takes under CLDR: its category's place among cldr_integer_tags."""
    return cldr_integer_tags(rule).index(rule(n))


# --- the template matches the code ----------------------------------------------------------------

def test_pot_is_in_sync_with_the_code():
    in_code = extract_msgids_from_code()  # (context, msgid): the easy-read set repeats a few msgids
    in_pot = {(message.context, message.id) for message in template_messages()}
    not_extracted = sorted(show(msgid) for _context, msgid in in_code - in_pot)
    stale = sorted(show(msgid) for _context, msgid in in_pot - in_code)
    assert not not_extracted and not stale, (
        "translations/messages.pot does not match the code; run script/translations, then translate the new "
        "strings in every catalogue.\n"
        f"In the code but not in messages.pot: {not_extracted}\n"
        f"In messages.pot but no longer in the code: {stale}"
    )


# --- every catalogue is complete ------------------------------------------------------------------

def test_every_shipped_language_except_english_has_a_catalogue():
    missing = [code for code in SHIPPED if not po_path(code).exists()]
    assert not missing, f"flows/i18n.py LANGUAGES ships {missing} but translations/ has no catalogue for them"


@pytest.mark.parametrize("code", SHIPPED)
def test_every_string_is_translated(code):
    catalog = catalogue(code)
    problems = []
    for english in template_messages():
        if not needed_in(code, english):
            continue
        message = catalog.get(english.id, context=english.context)
        if message is None:
            where = "only as an obsolete #~ entry" if english.id in catalog.obsolete else "missing"
            problems.append(f"{code}: msgid {show(english.id)} is {where}; run script/translations and translate it")
            continue
        if message.fuzzy:
            problems.append(f"{code}: msgid {show(english.id)} is marked fuzzy (the loader ignores it); review it "
                            "and remove the fuzzy flag")
        if isinstance(english.id, tuple) != isinstance(message.id, tuple) or (
            isinstance(english.id, tuple) and english.id != message.id
        ):
            problems.append(f"{code}: msgid {show(english.id)} has a different plural msgid than messages.pot")
            continue
        strings = forms(message)
        expected_forms = catalog.num_plurals if isinstance(english.id, tuple) else 1
        if len(strings) != expected_forms:
            problems.append(f"{code}: msgid {show(english.id)} has {len(strings)} msgstr forms, needs {expected_forms}")
        for index, string in enumerate(strings):
            if not (string or "").strip():
                form = f"msgstr[{index}]" if isinstance(english.id, tuple) else "msgstr"
                problems.append(f"{code}: msgid {show(english.id)} has an empty {form}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("code", SHIPPED)
def test_catalogue_has_no_entries_the_template_lacks(code):
    in_pot = {message.id for message in template_messages()}
    extra = sorted(show(message.id) for message in catalogue(code) if message.id and message.id not in in_pot)
    assert not extra, f"{code}: catalogue has entries that are not in messages.pot (run script/translations): {extra}"


# --- placeholders, numbers and layout -------------------------------------------------------------

@pytest.mark.parametrize("code", SHIPPED)
def test_placeholders_match_the_english(code):
    problems = []
    for english in template_messages():
        message = catalogue(code).get(english.id, context=english.context)
        if message is None:
            continue  # reported by test_every_string_is_translated
        is_plural = isinstance(english.id, tuple)
        wanted = set().union(*(placeholders(text) for text in english_forms(english)))
        for index, string in enumerate(forms(message)):
            if not string:
                continue
            have = placeholders(string)
            may_omit = {spec for spec in wanted if PLACEHOLDER.match(spec).group("name") in COUNT_NAMES}
            missing = wanted - have - (may_omit if is_plural else set())
            unknown = have - wanted
            form = f"msgstr[{index}]" if is_plural else "msgstr"
            if missing:
                problems.append(f"{code}: msgid {show(english.id)}: {form} lacks {sorted(missing)}")
            if unknown:
                problems.append(f"{code}: msgid {show(english.id)}: {form} has {sorted(unknown)}, "
                                "which the English does not; keep placeholders exactly as in the English")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("code", SHIPPED)
def test_every_translation_formats_without_error(code):
    problems = []
    for english in template_messages():
        message = catalogue(code).get(english.id, context=english.context)
        if message is None:
            continue
        names = {"n", "num"} | {
            PLACEHOLDER.match(spec).group("name") for text in english_forms(english) for spec in placeholders(text)
        }
        dummy = {name: "7" for name in names}
        try:
            for text in english_forms(english):
                text % dummy
        except (KeyError, ValueError, TypeError):
            continue  # the English is not a %-format string, so neither is its translation
        for index, string in enumerate(forms(message)):
            try:
                (string or "") % dummy
            except (KeyError, ValueError, TypeError) as error:
                problems.append(f"{code}: msgid {show(english.id)}: form {index} does not format: "
                                f"{type(error).__name__}: {error} (a lone % must be written %%)")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("code", SHIPPED)
def test_phone_numbers_codes_and_lines_are_kept(code):
    problems = []
    for english in template_messages():
        message = catalogue(code).get(english.id, context=english.context)
        if message is None:
            continue
        source = english_forms(english)[-1]
        for index, string in enumerate(forms(message)):
            if not string:
                continue
            for token in PROTECTED.findall(source):
                if token not in string:
                    problems.append(f"{code}: msgid {show(english.id)}: form {index} lacks {token!r} "
                                    "(phone numbers and TH- codes stay exactly as written, in Latin digits)")
            english_lines, lines = source.split("\n"), string.split("\n")
            if len(lines) != len(english_lines):
                problems.append(f"{code}: msgid {show(english.id)}: form {index} has {len(lines)} lines, "
                                f"the English has {len(english_lines)}")
            elif [line.startswith("•") for line in lines] != [line.startswith("•") for line in english_lines]:
                problems.append(f"{code}: msgid {show(english.id)}: form {index} does not keep the • bullet lines")
    assert not problems, "\n".join(problems)


# --- plural forms ---------------------------------------------------------------------------------

@pytest.mark.parametrize("code", SHIPPED)
def test_plural_forms_follow_cldr(code):
    catalog = catalogue(code)
    rule = cldr_plural_rule(code)
    cldr_count = len(cldr_integer_tags(rule))
    assert catalog.num_plurals == cldr_count, (
        f"{code}: Plural-Forms header says nplurals={catalog.num_plurals} ({catalog.plural_forms!r}); "
        f"CLDR has {cldr_count} forms for whole numbers ({rule!r})"
    )
    catalogue_index = gettext.c2py(catalog.plural_expr)
    wrong = [n for n in COUNTS if catalogue_index(n) != cldr_plural_index(rule, n)]
    assert not wrong, (
        f"{code}: Plural-Forms plural={catalog.plural_expr!r} picks a different form from CLDR ({rule!r}) "
        f"for n in {wrong[:10]}"
    )


# --- drafts and reviews ---------------------------------------------------------------------------

def test_review_list_names_every_shipped_language():
    statuses = review_list()
    missing = [code for code in SHIPPED if code not in statuses]
    unknown = {code: status for code, status in statuses.items() if status not in ("draft", "reviewed", "source")}
    assert not missing, f"docs/translations.md review list has no line for {missing}"
    assert not unknown, f"docs/translations.md review list: status must be draft or reviewed, got {unknown}"


@pytest.mark.parametrize("code", SHIPPED)
def test_header_marks_a_draft_until_it_is_reviewed(code):
    status = review_list().get(code)
    assert status in ("draft", "reviewed"), (
        f"{code}: docs/translations.md review list should say draft or reviewed for {code}, not {status!r}"
    )
    marker = header_fields(code).get(DRAFT_HEADER, "")
    path = po_path(code).relative_to(ROOT)
    if status == "draft":
        assert "draft" in marker.lower(), (
            f"{code}: docs/translations.md lists {code} as a draft, but {path} has no "
            f"'{DRAFT_HEADER}: draft, needs review by a native speaker from the community' header line. "
            "(pybabel update drops headers it does not know: put the line back after Plural-Forms.)"
        )
    else:
        assert "draft" not in marker.lower(), (
            f"{code}: docs/translations.md lists {code} as reviewed, but {path} still says "
            f"'{DRAFT_HEADER}: {marker}'; remove that header line"
        )


# --- words residents type -------------------------------------------------------------------------

def command_words(code: str) -> dict[str, str]:
    if code == SOURCE_LANGUAGE:
        return {command: command for command in COMMANDS}
    return {command: translated(code, command) for command in COMMANDS}


@pytest.mark.parametrize("code", SHIPPED)
def test_command_words_are_distinct_single_words(code):
    words = command_words(code)
    problems = []
    for command, word in words.items():
        if not word:
            problems.append(f"{code}: command msgid {command!r} is not translated")
        elif len(word.split()) != 1 or word != word.strip():
            problems.append(f"{code}: command msgid {command!r} -> {word!r} must be one word a resident can type")
        elif word != word.lower():
            problems.append(f"{code}: command msgid {command!r} -> {word!r} must be lower-case")
    # Typed words are compared without accents (i18n.matchable), so words must differ in more than accents.
    seen: dict[str, str] = {}
    for command, word in words.items():
        if word and i18n.matchable(word) in seen:
            problems.append(f"{code}: commands {seen[i18n.matchable(word)]!r} and {command!r} are both {word!r}")
        seen.setdefault(i18n.matchable(word), command)
    # Typed words are matched against every language's commands, so they must not meet across languages.
    for other in [SOURCE_LANGUAGE] + SHIPPED:
        if other == code:
            continue
        for command, word in words.items():
            for other_command, other_word in command_words(other).items():
                if word and other_command != command and i18n.matchable(word) == i18n.matchable(other_word):
                    problems.append(f"{code}: command msgid {command!r} -> {word!r} is also {other}'s word for "
                                    f"{other_command!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("code", SHIPPED)
def test_no_translation_is_mistaken_for_another_command(code):
    every_word = {
        i18n.matchable(word): command
        for language in [SOURCE_LANGUAGE] + SHIPPED
        for command, word in command_words(language).items()
        if word and command in GLOBAL_COMMANDS
    }
    problems = []
    for english in template_messages():
        if isinstance(english.id, tuple) or english.id in COMMANDS:
            continue
        text = i18n.matchable(translated(code, english.id))
        command = every_word.get(text)
        if command and (english.id, command) not in SAME_MEANING:
            problems.append(f"{code}: msgid {show(english.id)} -> {text!r} is the command word for {command!r}: "
                            "a resident typing it would run that command instead")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("code", SHIPPED)
def test_quoted_words_are_the_words_that_work(code):
    """'Type "menu"' and 'choose "Skip"' must quote this language's own word or label."""
    ids = {message.id for message in template_messages()}
    problems = []
    for english in template_messages():
        if isinstance(english.id, tuple):
            continue
        string = translated(code, english.id)
        if not string:
            continue
        for quoted in re.findall(r'"([^"]+)"', english.id):
            first_word = quoted.split()[0]
            if quoted in ids:
                source = quoted
            elif first_word in COMMANDS:
                source = first_word
            else:
                continue
            wanted = translated(code, source)
            if wanted and wanted not in string:
                problems.append(f"{code}: msgid {show(english.id)} quotes {quoted!r}; its translation should "
                                f"contain {wanted!r}, the {code} translation of {source!r}")
    assert not problems, "\n".join(problems)


# --- the runtime reads the catalogues -------------------------------------------------------------

@pytest.mark.parametrize("code", SHIPPED)
def test_runtime_loader_returns_the_catalogue_text(code):
    catalog = catalogue(code)
    runtime = i18n.translations(code)
    choose = gettext.c2py(catalog.plural_expr)
    sample = translated(code, "Choose your language.")
    assert sample and runtime.gettext("Choose your language.") == sample, (
        f"{code}: flows.i18n.translations({code!r}).gettext('Choose your language.') does not return the "
        "catalogue's msgstr"
    )
    problems = []
    for english in template_messages():
        message = catalog.get(english.id, context=english.context)
        if message is None or not all(forms(message)):
            continue
        if isinstance(english.id, tuple):
            for n in (0, 1, 2, 5, 21):
                got = runtime.ngettext(english.id[0], english.id[1], n)
                if got != forms(message)[choose(n)]:
                    problems.append(f"{code}: ngettext({show(english.id)}, n={n}) gave {got!r}")
        elif english.context and runtime.pgettext(english.context, english.id) != message.string:
            problems.append(f"{code}: pgettext({english.context!r}, {show(english.id)}) gave the English, not "
                            "the catalogue's msgstr")
        elif not english.context and runtime.gettext(english.id) != message.string:
            problems.append(f"{code}: gettext({show(english.id)}) gave the English, not the catalogue's msgstr")
    assert not problems, "\n".join(problems)


# --- data outside the catalogues ------------------------------------------------------------------

@pytest.mark.parametrize("code", [language.code for language in LANGUAGES])
def test_seeded_agencies_have_a_name_in_every_shipped_language(code):
    from storage.seed import AGENCIES

    missing = [agency["slug"] for agency in AGENCIES if not (agency["names"].get(code) or "").strip()]
    assert not missing, f"{code}: storage/seed.py AGENCIES has no {code} name for {missing}"


# --- which words each language must have ----------------------------------------------------------

def test_staff_only_words_are_only_those_of_the_staff_workspace():
    """A msgid is excused in a language without staff pages only when no resident or public page uses it."""
    excused = [message for message in template_messages() if is_staff_only(message)]
    assert excused, "no staff-only msgids found: STAFF_SOURCES no longer matches where the staff pages live"
    for message in excused:
        assert all(path.startswith(("web/staff", "web/templates/staff/")) for path, _ in message.locations)
    resident_facing = [message for message in template_messages() if not is_staff_only(message)]
    assert any(path.startswith("flows/") for message in resident_facing for path, _ in message.locations)


def test_staff_pages_offer_only_languages_with_staff_words():
    from web.i18n import STAFF_LANGUAGES

    assert [language.code for language in STAFF_LANGUAGES] == [
        language.code for language in LANGUAGES if language.staff_pages]
    assert i18n.DEFAULT_LANGUAGE in {language.code for language in STAFF_LANGUAGES}
