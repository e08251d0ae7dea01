"""The ward panel digest anyone may open (rec 12, 13): GET /public/wards/<slug>/meetings/<id>, a printable
page, and the same at .pdf, in the page's language (?lang=).

The words are built once (`digest_words`: sections of headings, lines and tables, already translated and
with counts under 5 said as "fewer than 5") and then laid out twice, as HTML by the template and as PDF by
fpdf2, so the paper copy says exactly what the page says. Figures come from storage/digest.py, which
holds no resident free text, names or references.

The PDF embeds TrueType fonts from PDF_FONT_DIR (Debian's fonts-noto-core: NotoSans and NotoSansBengali; for
Chinese, Noto Sans CJK from fonts-noto-cjk, cut to the characters used) and shapes
text with HarfBuzz (fpdf2's set_text_shaping, through uharfbuzz), which Bengali's conjuncts and
vowel signs need.
"""
from __future__ import annotations

import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional, Sequence
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, make_response, render_template, request
from fpdf import FPDF
from fpdf.fonts import FontFace

from flows import i18n
from flows.dates import WEEKDAY_AND_DATE, london_day, london_day_and_time, london_time
from flows.events import KINDS
from flows.i18n import _N
from flows.report import CATEGORIES as CATEGORY_CHOICES
from storage import digest as digest_store
from storage.database import new_session
from web.i18n import Translator, current_language
from web.public import (EntryWords, begin_public_page, entry_words, fewer_than_five_text, number_text,
                        public_page_headers)

blueprint = Blueprint("digest", __name__)

# TRANSLATORS: a link on the ward panel digest to the same digest as a PDF file, to print or share.
PDF_LINK = _N("This digest as a PDF")
# The fonts the PDF embeds, first found first used: Latin (and Somali) first, other scripts as fallbacks.
PDF_FONTS = (
    ("notosans", "NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
    ("notosansbengali", "NotoSansBengali-Regular.ttf", "NotoSansBengali-Bold.ttf"),
    ("notosansarabic", "NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf"),
)
# Chinese: Debian's fonts-noto-cjk keeps Noto Sans CJK as one collection of every CJK writing (about 20 MB a
# weight), under opentype/ beside PDF_FONT_DIR's truetype/. fpdf2 reads a whole font into Python objects (about
# 90 MB and a quarter of a second for this one, much of it kept by the process afterwards), so HarfBuzz first
# cuts the collection's face down to the characters the digest uses (a few kilobytes, some 40 ms), and fpdf2
# embeds that. Without it every Chinese character of a Chinese digest was left out of the PDF.
CJK_COLLECTIONS = ("NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc")
CJK_FACES = {"zh-Hant": 3}  # faces of the collection: 2 is Simplified Chinese (the default), 3 Traditional
CJK_SIMPLIFIED_FACE = 2
# From the CJK radicals up (CJK punctuation, kana, ideographs, full-width forms): what the Noto Sans faces lack.
CJK_FROM = "\u2e80"


class FontsMissing(RuntimeError):
    """PDF_FONT_DIR holds no NotoSans: the PDF cannot be made (the page still can)."""


# --- the words, once for both layouts ---------------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    text: str
    number: bool = False  # right-aligned figures
    fewer: bool = False  # a suppressed count, said in words


@dataclass(frozen=True)
class Table:
    caption: str
    header: tuple[Cell, ...]
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True)
class Section:
    heading: str
    anchor: str
    lines: tuple[str, ...] = ()
    table: Optional[Table] = None
    # "You said, we did" entries: (their words, as the public pages choose them; a note under them or "").
    entries: tuple[tuple[EntryWords, str], ...] = ()
    after: tuple[str, ...] = ()  # lines after the table


@dataclass(frozen=True)
class DigestWords:
    lang: str
    title: str
    kind: str
    cancelled: Optional[str]
    facts: tuple[tuple[str, str], ...]  # (label, value): ward, when, where, the period
    sections: tuple[Section, ...] = field(default_factory=tuple)
    footnote: str = ""


class _Words(Translator):
    """The digest's words in one language: its catalogue (`_`, `ngettext`) and how it writes figures."""

    def number(self, value: int) -> str:
        return number_text(value, self.lang)

    def count(self, value: Optional[int]) -> Cell:
        if value is None:
            return Cell(fewer_than_five_text(self.lang), number=True, fewer=True)
        return Cell(self.number(value), number=True)

    def count_text(self, value: Optional[int]) -> str:
        return self.count(value).text

    def day(self, moment: datetime) -> str:
        return london_day(self.lang, moment, WEEKDAY_AND_DATE)

    def day_and_time(self, moment: datetime) -> str:
        return london_day_and_time(self.lang, moment, WEEKDAY_AND_DATE)

    def category(self, key: str) -> str:
        label = CATEGORY_CHOICES.get(f"cat:{key}")
        return self._(label) if label else key


def digest_words(found: digest_store.WardDigest, lang: str) -> DigestWords:
    """Everything the page and the PDF say, in `lang`."""
    words = _Words(lang)
    meeting = found.meeting
    kind = words._(KINDS.get(meeting.kind, KINDS["community_forum"]))
    venue = ", ".join(part for part in (meeting.venue_name, meeting.venue_address) if part)
    when = words.day_and_time(meeting.starts_at)
    if meeting.ends_at:
        when += "–" + london_time(lang, meeting.ends_at)
    if found.previous_meeting is not None:
        # TRANSLATORS: on the ward panel digest: the period its figures cover. %(previous)s is the title of the last meeting of the same kind in the ward; %(start)s and %(end)s are days, e.g. "Tuesday 3 March 2026".
        period = words._("Since the last meeting (%(previous)s): from %(start)s to %(end)s",
                         previous=found.previous_meeting.title_in(lang), start=words.day(found.period_start),
                         end=words.day(found.period_end))
    else:
        # TRANSLATORS: on the ward panel digest when the ward had no earlier meeting of this kind: the figures cover the three months before. %(start)s and %(end)s are days.
        period = words._("No earlier meeting of this kind: the three months from %(start)s to %(end)s",
                         start=words.day(found.period_start), end=words.day(found.period_end))
    facts = (
        # TRANSLATORS: a label on the ward panel digest: the ward the meeting is for.
        (words._("Ward"), meeting.ward_name),
        # TRANSLATORS: a label on the ward panel digest: the day and London time of the meeting.
        (words._("When"), when),
        # TRANSLATORS: a label on the ward panel digest: where the meeting is held.
        (words._("Where"), venue or words._("Place to be confirmed")),
        # TRANSLATORS: a label on the ward panel digest: the weeks its figures cover.
        (words._("Figures for"), period),
    )
    cancelled = None
    if meeting.cancelled:
        # TRANSLATORS: across the top of the ward panel digest of a meeting that was cancelled; the figures are still shown.
        cancelled = words._("This meeting was cancelled. The figures below are still shown for the ward.")
    return DigestWords(
        lang=lang, title=meeting.title_in(lang), kind=kind, cancelled=cancelled, facts=facts,
        sections=(_agenda(words, found), _trends(words, found), _actions(words, found), _outstanding(words, found)),
        # TRANSLATORS: at the foot of the ward panel digest, explaining the figures.
        footnote=words._("Counts under 5 are shown as “fewer than 5” so that nobody can be identified. Reports "
                         "staff marked as spam or as duplicates are not counted. Counted on %(when)s.",
                         when=words.day_and_time(found.counted_at)),
    )


def _agenda(words: _Words, found: digest_store.WardDigest) -> Section:
    # TRANSLATORS: a heading on the ward panel digest: what residents asked the meeting to discuss ("have your say").
    heading = words._("What residents asked this meeting to discuss")
    if not found.agenda:
        # TRANSLATORS: on the ward panel digest when no resident's agenda item has been approved yet.
        return Section(heading=heading, anchor="agenda", lines=(words._("No items have been approved yet."),))
    rows = tuple(
        (Cell(words.category(item.topic)), Cell(item.text), words.count(item.backers))
        for item in found.agenda
    )
    return Section(
        heading=heading, anchor="agenda",
        # TRANSLATORS: on the ward panel digest, above residents' agenda items.
        lines=(words._("Residents sent these through Safer Homes. An organiser approved each one and may have "
                       "reworded it to leave out names and addresses."),),
        # TRANSLATORS: the caption and column headings of the agenda items table on the ward panel digest. "Backers" are other residents who said "me too".
        table=Table(caption=words._("Agenda items, most backed first"),
                    header=(Cell(words._("Topic")), Cell(words._("Item")), Cell(words._("Backers"), number=True)),
                    rows=rows),
    )


def _trends(words: _Words, found: digest_store.WardDigest) -> Section:
    days = max(0, (found.period_end - found.period_start).days)
    rows = tuple(
        (Cell(words.category(trend.category)), words.count(trend.this_period), words.count(trend.previous_period))
        for trend in found.trends
    )
    # TRANSLATORS: the total row of a table on the ward panel digest.
    total = (Cell(words._("All reports")), words.count(found.reports_this_period), words.count(found.reports_previous_period))
    return Section(
        # TRANSLATORS: a heading on the ward panel digest: reports made in the ward since the last meeting.
        heading=words._("Reports since the last meeting"), anchor="trends",
        # TRANSLATORS: on the ward panel digest, above the table of reports by category; %(num)s is the number of days in the period.
        lines=(words.ngettext("Reports made in the ward in this period, and in the %(num)s day before it, by what they were about.",
                              "Reports made in the ward in this period, and in the %(num)s days before it, by what they were about.",
                              days, num=words.number(days)),),
        # TRANSLATORS: the caption and column headings of the reports table on the ward panel digest.
        table=Table(caption=words._("Reports by category"),
                    header=(Cell(words._("Category")), Cell(words._("This period"), number=True),
                            Cell(words._("The period before"), number=True)),
                    rows=rows + (total,)),
    )


def _actions(words: _Words, found: digest_store.WardDigest) -> Section:
    lines = (
        # TRANSLATORS: on the ward panel digest; %(count)s is a number or the words "fewer than 5".
        words._("Reports where an agency took action: %(count)s", count=words.count_text(found.action_taken)),
        # TRANSLATORS: on the ward panel digest; %(count)s is a number or the words "fewer than 5".
        words._("Reports closed: %(count)s", count=words.count_text(found.closed)),
    )
    entries = []
    for entry in found.entries:
        shown = entry_words(entry, words.lang)
        note = ""
        if shown.machine_translated:
            # TRANSLATORS: under a "You said, we did" entry on the ward panel digest that a machine translated.
            note = words._("(machine translated)")
        elif shown.in_english:
            # TRANSLATORS: on the public pages, under a "You said, we did" entry that has no translation yet.
            note = words._("Not translated yet: shown in English.")
        entries.append((shown, note))
    after = ()
    if not entries:
        # TRANSLATORS: on the ward panel digest when staff published no "You said, we did" entry for the ward in the period.
        after = (words._("No “You said, we did” entries were published for the ward in this period."),)
    return Section(
        # TRANSLATORS: a heading on the ward panel digest: what the council, housing providers and police did in the period.
        heading=words._("Action taken"), anchor="actions", lines=lines, entries=tuple(entries), after=after,
    )


def _outstanding(words: _Words, found: digest_store.WardDigest) -> Section:
    rows = tuple(
        (Cell(words.category(row.category)), words.count(row.open), words.count(row.past_target))
        for row in found.outstanding
    )
    total = (Cell(words._("All reports")), words.count(found.outstanding_total), words.count(found.outstanding_past_target))
    return Section(
        # TRANSLATORS: a heading on the ward panel digest: reports in the ward still open.
        heading=words._("Still outstanding"), anchor="outstanding",
        # TRANSLATORS: on the ward panel digest, above the table of open reports; %(when)s is a day and time.
        lines=(words._("Reports in the ward still open on %(when)s, and how many of them are waiting longer than "
                       "the response time the agency agreed with residents.", when=words.day_and_time(found.counted_at)),),
        # TRANSLATORS: the caption and column headings of the open reports table on the ward panel digest.
        table=Table(caption=words._("Open reports by category"),
                    header=(Cell(words._("Category")), Cell(words._("Open"), number=True),
                            Cell(words._("Past the response target"), number=True)),
                    rows=rows + (total,)),
    )


# --- the routes -----------------------------------------------------------------------------------------

def _digest_or_404(slug: str, event_id: int) -> digest_store.WardDigest:
    """The digest, or 404 for an unknown ward or a meeting that is not in it. A cancelled meeting still
    has its digest (saying it was cancelled): a link already sent keeps working."""
    now = current_app.extensions["safer_homes.clock"]()
    with new_session(current_app.extensions["safer_homes.engine"]) as session:
        try:
            found = digest_store.ward_digest(session, event_id=event_id, now=now)
        except LookupError:
            abort(404)
    if found.meeting.ward_slug != slug:
        abort(404)
    return found


@blueprint.get("/public/wards/<slug>/meetings/<int:event_id>")
def meeting_digest(slug: str, event_id: int):
    found = _digest_or_404(slug, event_id)
    lang = current_language()
    words = digest_words(found, lang)
    begin_public_page()
    pdf_href = f"{request.path}.pdf?{urlencode({'lang': lang})}"
    downloads = [(_Words(lang)._(PDF_LINK), pdf_href)]
    # csp_nonce and this_page_in (the language links) come from web/staff.py's app-wide context processor.
    page = render_template("public/digest.html", words=words, downloads=downloads)
    return public_page_headers(make_response(page))


# Each PDF is kept for the minute its figures were counted in (the response says public, max-age=60 too):
# laying out a digest and subsetting the Noto fonts into it is the slow part, and a panel's members open the
# same link together. Keyed by the database (the engine held, so its id is not reused while kept), the ward,
# the meeting, the language and the minute; at most PDF_CACHE_SIZE kept, the oldest dropped first.
PDF_CACHE_SECONDS = 60.0
PDF_CACHE_SIZE = 64
_pdfs: OrderedDict[tuple, tuple[float, object, bytes]] = OrderedDict()
_pdfs_lock = threading.Lock()


def clear_pdf_cache() -> None:
    """Forget every kept PDF (tests; entries expire within a minute anyway)."""
    with _pdfs_lock:
        _pdfs.clear()


def _kept_pdf(key: tuple, moment: float) -> Optional[bytes]:
    with _pdfs_lock:
        kept = _pdfs.get(key)
        if kept is None:
            return None
        if moment - kept[0] >= PDF_CACHE_SECONDS:
            del _pdfs[key]
            return None
        return kept[2]


def _keep_pdf(key: tuple, moment: float, engine, content: bytes) -> None:
    with _pdfs_lock:
        _pdfs[key] = (moment, engine, content)
        _pdfs.move_to_end(key)
        while len(_pdfs) > PDF_CACHE_SIZE:
            _pdfs.popitem(last=False)


@blueprint.get("/public/wards/<slug>/meetings/<int:event_id>.pdf")
def meeting_digest_pdf(slug: str, event_id: int):
    lang = current_language()
    engine = current_app.extensions["safer_homes.engine"]
    now = current_app.extensions["safer_homes.clock"]()
    key = (id(engine), slug, event_id, lang, now.astimezone(timezone.utc).replace(second=0, microsecond=0))
    content = _kept_pdf(key, time.monotonic())
    if content is None:
        found = _digest_or_404(slug, event_id)  # only a digest that exists is ever kept
        font_dir = current_app.extensions["safer_homes.settings"].pdf_font_dir
        try:
            content = bytes(digest_pdf(digest_words(found, lang), font_dir=font_dir))
        except FontsMissing:
            current_app.logger.error("ward digest PDF: no NotoSans fonts in PDF_FONT_DIR=%s (install fonts-noto-core)",
                                     font_dir)
            abort(503)
        _keep_pdf(key, time.monotonic(), engine, content)
    response = make_response(content)
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{slug}-meeting-{event_id}-{lang}.pdf"'
    return public_page_headers(response)


# --- the PDF --------------------------------------------------------------------------------------------

def _cjk_folder(font_dir: str) -> Optional[Path]:
    """Where Noto Sans CJK is: PDF_FONT_DIR, or Debian's opentype/noto beside its truetype/noto."""
    for folder in (Path(font_dir), Path(font_dir).parent.parent / "opentype" / "noto"):
        if (folder / CJK_COLLECTIONS[0]).is_file():
            return folder
    return None


def _cjk_subsets(font_dir: str, lang: str, characters: set[str], into: Path) -> list[tuple[Path, Path]]:
    """(regular, bold) font files holding only `characters` from Noto Sans CJK in the face for `lang`, written
    under `into`; none when there are no such characters or the fonts are not installed."""
    import uharfbuzz

    folder = _cjk_folder(font_dir)
    if not characters or folder is None:
        return []
    files = []
    for name in CJK_COLLECTIONS:
        source = folder / name if (folder / name).is_file() else folder / CJK_COLLECTIONS[0]
        face = uharfbuzz.Face(uharfbuzz.Blob.from_file_path(str(source)), CJK_FACES.get(lang, CJK_SIMPLIFIED_FACE))
        wanted = uharfbuzz.SubsetInput()
        for character in characters:
            wanted.unicode_set.add(ord(character))
        subset = into / f"cjk-{len(files)}.otf"
        subset.write_bytes(uharfbuzz.subset(face, wanted).blob.data)
        files.append(subset)
    return [tuple(files)]


def _characters(value) -> str:
    """Every string inside the digest's words (dataclasses, tuples), joined: what the PDF will draw."""
    if isinstance(value, str):
        return value
    if is_dataclass(value):
        return "".join(_characters(getattr(value, item.name)) for item in fields(value))
    if isinstance(value, (tuple, list)):
        return "".join(_characters(item) for item in value)
    return ""


def _pdf_with_fonts(font_dir: str, rtl: bool, cjk: Sequence[tuple[Path, Path]] = ()) -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    folder = Path(font_dir)
    families = []
    for family, regular, bold in PDF_FONTS:
        if (folder / regular).is_file():
            pdf.add_font(family, "", folder / regular)
            pdf.add_font(family, "B", folder / (bold if (folder / bold).is_file() else regular))
            families.append(family)
    for regular, bold in cjk:
        pdf.add_font("notosanscjk", "", regular)
        pdf.add_font("notosanscjk", "B", bold)
        families.append("notosanscjk")
    if "notosans" not in families:
        raise FontsMissing(font_dir)
    # A glyph NotoSans lacks (Bengali, Arabic) comes from the next font that has it.
    pdf.set_fallback_fonts(families[1:], exact_match=False)
    # HarfBuzz shaping: Bengali conjuncts and vowel signs, Arabic joining, right-to-left order.
    pdf.set_text_shaping(use_shaping_engine=True, direction="rtl" if rtl else "ltr")
    return pdf


def digest_pdf(words: DigestWords, *, font_dir: str) -> bytearray:
    """The digest as an A4 PDF with the same words as the page."""
    rtl = i18n.BY_CODE[words.lang].rtl if words.lang in i18n.BY_CODE else False
    with tempfile.TemporaryDirectory(prefix="digest-fonts-") as folder:
        cjk_characters = {character for character in _characters(words) if character >= CJK_FROM}
        cjk = _cjk_subsets(font_dir, words.lang, cjk_characters, Path(folder))
        return _laid_out(words, _pdf_with_fonts(font_dir, rtl, cjk), rtl)


def _laid_out(words: DigestWords, pdf: FPDF, rtl: bool) -> bytearray:
    pdf.set_lang(words.lang)
    pdf.set_title(words.title)
    pdf.add_page()
    width = pdf.epw

    def text(line: str, *, size: float = 11, bold: bool = False, gap: float = 1.5):
        pdf.set_font("notosans", "B" if bold else "", size)
        pdf.multi_cell(width, size * 0.5, line, align="R" if rtl else "L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    text(words.kind, size=12, bold=True, gap=0.5)
    text(words.title, size=20, bold=True, gap=3)
    if words.cancelled:
        pdf.set_text_color(176, 0, 32)
        text(words.cancelled, size=13, bold=True, gap=3)
        pdf.set_text_color(0, 0, 0)
    for label, value in words.facts:
        text(f"{label}: {value}", gap=0.8)
    pdf.ln(2)
    for section in words.sections:
        text(section.heading, size=14, bold=True, gap=1.5)
        for line in section.lines:
            text(line)
        if section.table is not None:
            _pdf_table(pdf, section.table, rtl)
        for entry, note in section.entries:
            text(entry.you_said, bold=True, gap=0.5)
            text(entry.we_did, gap=0.5 if note else 2)
            if note:
                text(note, size=9, gap=2)
        for line in section.after:
            text(line)
        pdf.ln(2)
    text(words.footnote, size=9)
    return pdf.output()


def _pdf_table(pdf: FPDF, table: Table, rtl: bool) -> None:
    pdf.set_font("notosans", "B", 10)
    pdf.multi_cell(pdf.epw, 5, table.caption, align="R" if rtl else "L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("notosans", "", 10)
    columns = len(table.header)
    # The first (or the item's) column takes what the figures leave.
    widths = (2, 5, 1.2) if columns == 3 and table.header[1].text and not table.header[1].number else (3, 1.5, 1.5)
    if rtl:
        widths = tuple(reversed(widths))
    align_of = {False: "RIGHT" if rtl else "LEFT", True: "LEFT" if rtl else "RIGHT"}
    with pdf.table(col_widths=widths, first_row_as_headings=True, line_height=5.5,
                   headings_style=FontFace(emphasis="BOLD"), text_align="LEFT") as drawn:
        for cells in (table.header, *table.rows):
            row = drawn.row()
            for cell in (reversed(cells) if rtl else cells):
                row.cell(cell.text, align=align_of[cell.number])
    pdf.ln(3)
