"""The report flow: danger first, then what, where, when, how private, who may see it, and confirm.

    danger ─yes→ emergency ─carry on→ category
    danger ─no→ category → where → when → what → privacy ─named→ name → agencies → confirm
    when ─unsafe place→ daypart → self → what      (the night-safety questions, unsafe places only)
    confirm ─yes→ acknowledgement (SubmitReport)     confirm ─no→ change → (one step) → confirm

docs/flows/report.md draws the same table for co-design sessions.
"""
from __future__ import annotations

from typing import Sequence

from flows.engine import TICKED, UNTICKED, Go, Miss, Question, Stay, Turn, ask
from flows.i18n import _N
from flows.types import Choice, SubmitReport

CATEGORIES = {
    # TRANSLATORS: report category. Describe behaviour, never a group of people.
    "cat:asb": _N("Anti-social behaviour"),
    # TRANSLATORS: report category: drug dealing or drug use in a public or shared place.
    "cat:drugs": _N("Drug dealing or drug use nearby"),
    # TRANSLATORS: report category.
    "cat:harassment": _N("Harassment or intimidation"),
    # TRANSLATORS: report category: an incident targeting someone for who they are.
    "cat:hate": _N("Hate incident (because of race, religion, disability, sexual orientation or transgender identity)"),
    # TRANSLATORS: report category: for example poor lighting, broken door entry, an unsafe alley.
    "cat:unsafe_place": _N("A place that feels unsafe (poor lighting, broken doors, hidden corners)"),
    # TRANSLATORS: report category.
    "cat:noise": _N("Noise"),
    # TRANSLATORS: report category.
    "cat:other": _N("Something else"),
}

WHEN = {
    # TRANSLATORS: answer to "when did it happen?"
    "when:now": _N("It is happening now"),
    # TRANSLATORS: answer to "when did it happen?"
    "when:today": _N("Earlier today"),
    # TRANSLATORS: answer to "when did it happen?"
    "when:earlier": _N("Before today"),
}

# Unsafe places only: when the place feels unsafe (storage.models.TIMES_OF_DAY, for the night-safety plan).
UNSAFE_PLACE = "unsafe_place"
DAYPARTS = {
    # TRANSLATORS: answer to "What time of day does it feel unsafe?"
    "daypart:morning": _N("Morning"),
    # TRANSLATORS: answer to "What time of day does it feel unsafe?"
    "daypart:afternoon": _N("Afternoon"),
    # TRANSLATORS: answer to "What time of day does it feel unsafe?"
    "daypart:evening": _N("Evening"),
    # TRANSLATORS: answer to "What time of day does it feel unsafe?"
    "daypart:night": _N("Night"),
}
# The only answer the optional question keeps. Not answering is "skip", never a "no": nothing else about
# anyone's gender is asked or stored.
WOMAN_OR_GIRL = "self:woman_or_girl"

PRIVACY = {
    # TRANSLATORS: privacy choice label. See docs/translations.md for the agreed words.
    "privacy:anonymous": _N("Anonymous"),
    # TRANSLATORS: privacy choice label.
    "privacy:private": _N("Private"),
    # TRANSLATORS: privacy choice label.
    "privacy:named": _N("With my name"),
}

# The promise for each level, word for word as docs/privacy.md "The three choices" states it (each of its
# bullets starts with these words; tests/test_privacy_wording.py fails if the two drift apart). Shown
# before the choice and again in the acknowledgement; short enough that the question, its three
# promises and its numbered choices go as three SMS segments in English.
PRIVACY_PROMISES = {
    # TRANSLATORS: the promise made for an anonymous report. Translate exactly; it is a promise. "Only
    # with its reference code": the status check (status TH-...) is the one way to follow it.
    "privacy:anonymous": _N(
        "Anonymous: no link between the report and you is kept anywhere. You can follow it only with its "
        "reference code."
    ),
    # TRANSLATORS: the promise made for a private report. Translate exactly; it is a promise. "Tick" is
    # the word of the next question ("Who may see your report?"), where the police are never ticked for you.
    "privacy:private": _N(
        "Private: staff never see your name, number or account. The system keeps a sealed link so it can "
        "send you updates. The police see the report only if you tick them."
    ),
    # TRANSLATORS: the promise made for a named report. Translate exactly; it is a promise. "The name you
    # type": never the name the app shows, only the one the resident types next.
    "privacy:named": _N(
        "With my name: the name you type and a way to contact you are shared with the organisations you tick."
    ),
}

CHANGEABLE = {
    # TRANSLATORS: on the summary, "change the kind of problem".
    "change:category": (_N("What it is about"), "category"),
    # TRANSLATORS: on the summary, "change where it happened".
    "change:where": (_N("Where"), "where"),
    # TRANSLATORS: on the summary, "change when it happened".
    "change:when": (_N("When"), "when"),
    # TRANSLATORS: on the summary of an unsafe-place report, "change the time of day it feels unsafe".
    "change:daypart": (_N("Time of day"), "daypart"),
    # TRANSLATORS: on the summary of an unsafe-place report, "change whether you told us you are a woman or girl".
    "change:self": (_N("Telling us you are a woman or girl"), "self"),
    # TRANSLATORS: on the summary, "change the description".
    "change:what": (_N("What happened"), "what"),
    # TRANSLATORS: on the summary, "change how private it is".
    "change:privacy": (_N("How private it is"), "privacy"),
    # TRANSLATORS: on the summary, "change who may see it".
    "change:agencies": (_N("Who may see it"), "agencies"),
}

# Offered on the summary only for an unsafe place, the only reports that ask these questions.
NIGHT_SAFETY_CHANGES = ("change:daypart", "change:self")

NAME_MAX = 100


def _next(turn: Turn, natural_next: str) -> Go:
    """After a step: back to the summary when changing one answer, else on through the flow."""
    if turn.draft.get("changing"):
        return Go("confirm")
    return Go(natural_next)


# --- danger -------------------------------------------------------------------------------------

def danger_prompt(turn: Turn) -> str:
    # TRANSLATORS: the first question of every report.
    return turn._("First: is anyone in danger right now?")


def danger_choices(turn: Turn) -> Sequence[Choice]:
    return (
        # TRANSLATORS: answer to "is anyone in danger right now?"
        Choice("danger:yes", turn._("Yes, someone is in danger now")),
        # TRANSLATORS: answer to "is anyone in danger right now?"
        Choice("danger:no", turn._("No")),
    )


def on_danger(turn: Turn, key: str) -> Go:
    """Danger now → 999 first; otherwise straight on to what it is about."""
    turn.draft["danger_now"] = key == "danger:yes"
    return Go("emergency" if key == "danger:yes" else "category")


def emergency_prompt(turn: Turn) -> str:
    # TRANSLATORS: shown when someone is in danger. Keep the phone numbers exactly.
    return turn._(
        "Please call 999 now. Emergency services can help straight away; this service cannot.\n"
        "When it is not an emergency you can call the police on 101, or tell Crimestoppers without "
        "giving your name on 0800 555 111.\n"
        "Would you also like to make a report here?"
    )


def emergency_choices(turn: Turn) -> Sequence[Choice]:
    return (
        # TRANSLATORS: after the 999 advice, carry on with a written report.
        Choice("continue:yes", turn._("Yes, carry on with a report")),
        # TRANSLATORS: after the 999 advice, stop the report.
        Choice("continue:no", turn._("No, back to the menu")),
    )


def on_emergency(turn: Turn, key: str) -> Go | Stay:
    """After the 999 advice the flow goes on only if the resident wishes."""
    if key == "continue:yes":
        return Go("category")
    turn.end_flow()
    return Stay()


# --- what it is about ----------------------------------------------------------------------------

def category_prompt(turn: Turn) -> str:
    # TRANSLATORS: asking for the report's category.
    return turn._("What is it about?")


def category_choices(turn: Turn) -> Sequence[Choice]:
    return tuple(Choice(key, turn._(label)) for key, label in CATEGORIES.items())


def on_category(turn: Turn, key: str) -> Go:
    """Category chosen: next, where it happened. Changed to an unsafe place on the summary, the
    night-safety questions come first; changed away from one, their answers go."""
    turn.draft["category"] = key.removeprefix("cat:")
    if not _is_unsafe_place(turn):
        _forget_night_safety(turn)
    elif turn.draft.get("changing") and not turn.draft.get("night_safety_asked"):
        return Go("daypart")
    return _next(turn, "where")


def _is_unsafe_place(turn: Turn) -> bool:
    return turn.draft.get("category") == UNSAFE_PLACE


def _forget_night_safety(turn: Turn) -> None:
    for key in ("time_of_day", "woman_or_girl", "night_safety_asked"):
        turn.draft.pop(key, None)


# --- where ---------------------------------------------------------------------------------------

def where_prompt(turn: Turn) -> str:
    # TRANSLATORS: asking where. Residents can type a place, share a location or pick a ward.
    return turn._(
        "Where did it happen? Type a street, estate or landmark, share your location, or choose your ward "
        "from the list. Choose \"Skip\" if you'd rather not say."
    )


def where_choices(turn: Turn) -> Sequence[Choice]:
    wards = tuple(Choice(f"ward:{ward.slug}", ward.name) for ward in turn.ctx.wards)
    # TRANSLATORS: choice to pass an optional question.
    return wards + (Choice("skip", turn._("Skip")),)


def on_where_choice(turn: Turn, key: str) -> Go:
    """A ward (or skip) chosen: next, when."""
    _clear_where(turn)
    if key != "skip":
        turn.draft["ward"] = key.removeprefix("ward:")
    return _next(turn, "when")


def on_where_text(turn: Turn, text: str) -> Go:
    """A place typed in the resident's words: next, when."""
    _clear_where(turn)
    turn.draft["location_text"] = text
    return _next(turn, "when")


def on_where_location(turn: Turn, latitude: float, longitude: float) -> Go | Miss:
    """A shared location: next, when."""
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return Miss()
    _clear_where(turn)
    turn.draft.update(latitude=latitude, longitude=longitude)
    return _next(turn, "when")


def _clear_where(turn: Turn) -> None:
    for key in ("ward", "location_text", "latitude", "longitude"):
        turn.draft.pop(key, None)


# --- when ----------------------------------------------------------------------------------------

def when_prompt(turn: Turn) -> str:
    # TRANSLATORS: asking when it happened; they can also type a day or time.
    return turn._("When did it happen? Choose one, or type a day and time.")


def when_choices(turn: Turn) -> Sequence[Choice]:
    return tuple(Choice(key, turn._(label)) for key, label in WHEN.items())


def on_when_choice(turn: Turn, key: str) -> Go:
    """When chosen: next, the time of day for an unsafe place, else what happened."""
    turn.draft.pop("when_text", None)
    turn.draft["when"] = key.removeprefix("when:")
    return _next(turn, "daypart" if _is_unsafe_place(turn) else "what")


def on_when_text(turn: Turn, text: str) -> Go:
    """When typed in the resident's words: next, the time of day for an unsafe place, else what happened."""
    turn.draft.pop("when", None)
    turn.draft["when_text"] = text
    return _next(turn, "daypart" if _is_unsafe_place(turn) else "what")


# --- night safety (unsafe places only) ------------------------------------------------------------

def daypart_prompt(turn: Turn) -> str:
    # TRANSLATORS: asked only about a place that feels unsafe; the answers are morning, afternoon, evening, night.
    return turn._("What time of day does it feel unsafe?")


def daypart_choices(turn: Turn) -> Sequence[Choice]:
    # TRANSLATORS: choice to pass an optional question.
    return tuple(Choice(key, turn._(label)) for key, label in DAYPARTS.items()) + (Choice("skip", turn._("Skip")),)


def on_daypart(turn: Turn, key: str) -> Go:
    """Time of day chosen (or skipped): next, the optional woman-or-girl question, unless only this
    answer was being changed."""
    if key == "skip":
        turn.draft.pop("time_of_day", None)
    else:
        turn.draft["time_of_day"] = key.removeprefix("daypart:")
    if turn.draft.get("changing") and turn.draft.get("night_safety_asked"):
        return Go("confirm")
    return Go("self")


def self_prompt(turn: Turn) -> str:
    # TRANSLATORS: an optional question, asked only about a place that feels unsafe. Keep it clear that it is
    # optional and why it is asked. It must never sound like a question about anything else.
    return turn._(
        "Tower Hamlets is designing a plan for safety at night together with women and girls, so it helps to "
        "know which reports come from them. The organisations you choose see your answer; the public only ever "
        "sees totals.\n"
        "Would you like to tell us you are a woman or girl? This is optional: choose \"Skip\" if you'd rather "
        "not say."
    )


def self_choices(turn: Turn) -> Sequence[Choice]:
    return (
        # TRANSLATORS: the only answer to the optional question "Would you like to tell us you are a woman or girl?"
        Choice(WOMAN_OR_GIRL, turn._("I am a woman or girl")),
        # TRANSLATORS: choice to pass an optional question.
        Choice("skip", turn._("Skip")),
    )


def on_self(turn: Turn, key: str) -> Go:
    """Told us (or skipped): only a yes is kept. Next, what happened."""
    if key == WOMAN_OR_GIRL:
        turn.draft["woman_or_girl"] = True
    else:
        turn.draft.pop("woman_or_girl", None)
    turn.draft["night_safety_asked"] = True
    return _next(turn, "what")


# --- what happened -------------------------------------------------------------------------------

def what_prompt(turn: Turn) -> str:
    """Invites what the resident's channel can send (Context.media_kinds), the voice message first: many
    older Sylheti speakers read little, so the first thing they read is that they may speak instead."""
    lines = []
    if "voice" in turn.ctx.media_kinds:
        # TRANSLATORS: the first line of the "what happened" question, only on apps that can send a voice
        # message (Telegram, WhatsApp, the web chat). Bengali: please write it as people speak, in plain words a
        # Sylheti speaker who reads little understands when it is read out to them, e.g. "আপনি ভয়েস মেসেজ
        # পাঠাতে পারেন।"; other languages likewise in everyday spoken words.
        lines.append(turn._("You can send a voice message."))
    # TRANSLATORS: asking for the description of what happened.
    lines.append(turn._("Please tell us what happened, in your own words and your own language."))
    if "photo" in turn.ctx.media_kinds:
        # TRANSLATORS: after the "what happened" question, on apps that can send a photo (Telegram, WhatsApp).
        lines.append(turn._("You can also send a photo."))
    return "\n".join(lines)


def on_what_text(turn: Turn, text: str) -> Go:
    """The description: next, how private the report is."""
    turn.draft["description"] = text
    return _next(turn, "privacy")


def on_what_media(turn: Turn) -> Go:
    """A photo or voice note: kept with the report; any caption becomes the description."""
    media = turn.draft.setdefault("media", [])
    media.extend([item.media_id, item.kind] for item in turn.inbound.media)
    if turn.inbound.text:
        turn.draft["description"] = turn.inbound.text.strip()
    return _next(turn, "privacy")


# --- privacy -------------------------------------------------------------------------------------

def privacy_prompt(turn: Turn) -> str:
    promises = "\n".join(f"• {turn._(text)}" for text in PRIVACY_PROMISES.values())
    # TRANSLATORS: asking how private the report should be; the three promises follow on their own lines.
    question = turn._("How private should your report be?")
    # The promises are about links we keep; a voice is one we cannot take out, so whoever sent one hears so
    # before choosing (docs/privacy.md, "A voice can say who you are").
    recognised = _voice_can_be_recognised(turn)
    if turn.easy_read:
        # The promises word for word (they are promises), then the question alone with its choices.
        return "\n\n".join(part for part in (promises, recognised, question) if part)
    return "\n".join(part for part in (question, promises, recognised) if part)


def _voice_can_be_recognised(turn: Turn) -> str:
    """What a voice message in the draft means for privacy, or "" when there is none."""
    if not any(kind == "voice" for _media_id, kind in turn.draft.get("media", [])):
        return ""
    # TRANSLATORS: at the privacy question, only after the resident sent a voice message for "what happened":
    # the recording goes with the report, and a voice can be recognised even though an anonymous report keeps
    # no link to the sender. Plain spoken words; it is a warning, not a refusal.
    return turn._("Your voice message goes with the report. Someone who knows your voice might recognise it, "
                  "even in an anonymous report.")


def privacy_choices(turn: Turn) -> Sequence[Choice]:
    return tuple(Choice(key, turn._(label)) for key, label in PRIVACY.items())


def on_privacy(turn: Turn, key: str) -> Go:
    """Privacy chosen: named reports ask for the name first; then who may see it."""
    turn.draft["privacy"] = key.removeprefix("privacy:")
    if key == "privacy:named":
        return Go("name")
    turn.draft.pop("name", None)
    return _next(turn, "agencies")


def name_prompt(turn: Turn) -> str:
    # TRANSLATORS: asking a named reporter for the name to share with the organisations.
    return turn._("What name should we give the organisations you choose?")


def on_name(turn: Turn, text: str) -> Go | Miss:
    """The name to share (as typed, never the app's display name): next, who may see it."""
    if len(text) > NAME_MAX:
        # TRANSLATORS: the name typed is longer than we can keep.
        return Miss(turn._("Please give a shorter name, at most %(limit)s characters.", limit=turn.number(NAME_MAX)))
    turn.draft["name"] = text
    return _next(turn, "agencies")


# --- who may see it ------------------------------------------------------------------------------

def _ticked(turn: Turn) -> list[str]:
    """The ticked organisations, defaulting from the category's routing, never the police by default."""
    if "agencies" not in turn.draft:
        routed = turn.ctx.default_agencies.get(turn.draft.get("category", ""), ())
        turn.draft["agencies"] = [
            agency.slug for agency in turn.ctx.agencies if agency.slug in routed and not agency.is_police
        ]
    # An organisation an admin stopped offering since it was ticked drops out rather than fail later.
    offered = {agency.slug for agency in turn.ctx.agencies}
    turn.draft["agencies"] = [slug for slug in turn.draft["agencies"] if slug in offered]
    return turn.draft["agencies"]


def agencies_prompt(turn: Turn) -> str:
    # TRANSLATORS: multi-select question. ☑ means chosen; choosing again removes it; "Done" finishes.
    return turn._(
        "Who may see your report? Choose an organisation to tick it; choose it again to untick it. Then "
        "choose \"Done\". The police see it only if you tick them."
    )


def agencies_choices(turn: Turn) -> Sequence[Choice]:
    ticked = _ticked(turn)
    boxes = tuple(
        Choice(f"agency:{agency.slug}", f"{TICKED if agency.slug in ticked else UNTICKED} {agency.name(turn.lang)}")
        for agency in turn.ctx.agencies
    )
    # TRANSLATORS: finishes a question where several answers can be ticked.
    return boxes + (Choice("done", turn._("Done")),)


def on_agency(turn: Turn, key: str) -> Go | Miss | Stay:
    """Tick or untick an organisation; "done" with at least one ticked moves on to the summary."""
    ticked = _ticked(turn)
    if key == "done":
        if not ticked:
            # TRANSLATORS: "Done" chosen with no organisation ticked.
            return Miss(turn._("Please tick at least one organisation, so someone can act on your report."))
        return Go("confirm")
    slug = key.removeprefix("agency:")
    if slug in ticked:
        ticked.remove(slug)
    else:
        ticked.append(slug)
    ask(turn)
    return Stay()


# --- confirm -------------------------------------------------------------------------------------

def summary(turn: Turn) -> str:
    draft = turn.draft
    ward_names = {ward.slug: ward.name for ward in turn.ctx.wards}
    agency_names = {agency.slug: agency.name(turn.lang) for agency in turn.ctx.agencies}
    if draft.get("ward"):
        where = ward_names.get(draft["ward"], draft["ward"])
    elif draft.get("location_text"):
        where = draft["location_text"]
    elif "latitude" in draft:
        # TRANSLATORS: in the summary, where = a location shared from the phone.
        where = turn._("the location you shared")
    else:
        # TRANSLATORS: in the summary, for a question the resident skipped.
        where = turn._("not given")
    when = turn._(WHEN["when:" + draft["when"]]) if draft.get("when") else draft.get("when_text") or turn._("not given")
    description = draft.get("description") or ""
    if draft.get("media"):
        count = len(draft["media"])
        # TRANSLATORS: in the summary, how many photos or voice messages are attached.
        description += " " + turn.ngettext("(%(n)s attachment)", "(%(n)s attachments)", count, n=turn.number(count))
    # TRANSLATORS: the summary before sending. Each line is "Label: answer".
    text = turn._(
        "Please check your report:\n"
        "What it is about: %(category)s\n"
        "Where: %(where)s\n"
        "When: %(when)s\n"
        "What happened: %(description)s\n"
        "Privacy: %(privacy)s\n"
        "Who may see it: %(agencies)s",
        category=turn._(CATEGORIES["cat:" + draft["category"]]),
        where=where,
        when=when,
        description=description.strip(),
        privacy=turn._(PRIVACY["privacy:" + draft["privacy"]]),
        agencies=", ".join(agency_names.get(slug, slug) for slug in _ticked(turn)),
    )
    if _is_unsafe_place(turn):
        daypart = draft.get("time_of_day")
        # TRANSLATORS: a line of the summary of an unsafe-place report; %(daypart)s is Morning, Night... or "not given".
        text += "\n" + turn._("Time of day it feels unsafe: %(daypart)s",
                              daypart=turn._(DAYPARTS["daypart:" + daypart]) if daypart else turn._("not given"))
        if draft.get("woman_or_girl"):
            # TRANSLATORS: a line of the summary, when the resident chose to tell us they are a woman or girl.
            text += "\n" + turn._("You told us you are a woman or girl.")
    return text


def confirm_prompt(turn: Turn) -> str:
    # TRANSLATORS: after the summary.
    return summary(turn) + "\n\n" + turn._(
        "Shall I send it?"
    )


def confirm_choices(turn: Turn) -> Sequence[Choice]:
    return (
        # TRANSLATORS: send the report as summarised.
        Choice("confirm:yes", turn._("Yes, send it")),
        # TRANSLATORS: change an answer before sending.
        Choice("confirm:no", turn._("No, change something")),
    )


def on_confirm(turn: Turn, key: str) -> Go | Stay:
    """Yes → the report is saved and acknowledged; no → choose what to change."""
    if key == "confirm:no":
        return Go("change")
    if not _ticked(turn):
        turn.say(turn._("Please tick at least one organisation, so someone can act on your report."))
        return Go("agencies")
    submit(turn)
    return Stay()


def change_prompt(turn: Turn) -> str:
    # TRANSLATORS: choosing which answer to change before sending.
    return turn._("What would you like to change?")


def change_choices(turn: Turn) -> Sequence[Choice]:
    choices = tuple(
        Choice(key, turn._(label)) for key, (label, _step) in CHANGEABLE.items()
        if _is_unsafe_place(turn) or key not in NIGHT_SAFETY_CHANGES
    )
    return choices + (
        # TRANSLATORS: delete the unfinished report without sending it.
        Choice("change:discard", turn._("Delete this report without sending")),
    )


def on_change(turn: Turn, key: str) -> Go | Stay:
    """Go to the one step being changed; it comes back to the summary after."""
    if key == "change:discard":
        # TRANSLATORS: the resident deleted an unfinished report.
        turn.say(turn._("Your report was deleted and nothing was sent."))
        turn.end_flow()
        return Stay()
    turn.draft["changing"] = True
    return Go(CHANGEABLE[key][1])


# --- acknowledgement -----------------------------------------------------------------------------

def submit(turn: Turn) -> None:
    """Hand the report to the caller to save, thank the resident, and forget the draft."""
    draft = turn.draft
    reference = turn.ctx.new_reference()
    agencies = tuple(_ticked(turn))
    turn.intents.append(
        SubmitReport(
            reference=reference,
            language=turn.lang,
            category=draft["category"],
            privacy=draft["privacy"],
            agencies=agencies,
            description=draft.get("description", ""),
            danger_now=bool(draft.get("danger_now")),
            ward_slug=draft.get("ward"),
            location_text=draft.get("location_text"),
            latitude=draft.get("latitude"),
            longitude=draft.get("longitude"),
            when=draft.get("when"),
            when_text=draft.get("when_text"),
            reporter_name=draft.get("name") if draft["privacy"] == "named" else None,
            media=tuple((media_id, kind) for media_id, kind in draft.get("media", ())),
            time_of_day=draft.get("time_of_day") if _is_unsafe_place(turn) else None,
            woman_or_girl=True if _is_unsafe_place(turn) and draft.get("woman_or_girl") else None,
        )
    )
    turn.say(acknowledgement(turn, reference, draft["privacy"], agencies))
    # Nothing of the report stays in the conversation: for an anonymous report this is the promise.
    turn.end_flow()


def acknowledgement(turn: Turn, reference: str, privacy: str, agencies: Sequence[str]) -> str:
    lines = [
        # TRANSLATORS: the acknowledgement. Keep %(reference)s exactly; residents copy it.
        turn._(
            "Thank you. Your report has been sent. Your reference is %(reference)s. Keep it: send "
            "\"status %(reference)s\" at any time, from any phone or computer, to see what is happening.",
            reference=reference,
        ),
        turn._(PRIVACY_PROMISES["privacy:" + privacy]),
    ]
    by_slug = {agency.slug: agency for agency in turn.ctx.agencies}
    for slug in agencies:
        agency = by_slug[slug]
        lines.append(
            # TRANSLATORS: the response-time target agreed with residents, one line per organisation.
            turn.ngettext(
                "%(agency)s aims to respond within %(days)s working day.",
                "%(agency)s aims to respond within %(days)s working days.",
                agency.target_working_days,
                agency=agency.name(turn.lang),
                days=turn.number(agency.target_working_days),
            )
        )
    if privacy != "anonymous":
        # TRANSLATORS: after a private or named report.
        lines.append(turn._("We will send you updates here."))
    return "\n".join(lines)


QUESTIONS = {
    "danger": Question(prompt=danger_prompt, choices=danger_choices, on_choice=on_danger),
    "emergency": Question(prompt=emergency_prompt, choices=emergency_choices, on_choice=on_emergency),
    "category": Question(prompt=category_prompt, choices=category_choices, on_choice=on_category),
    "where": Question(
        prompt=where_prompt,
        choices=where_choices,
        on_choice=on_where_choice,
        on_text=on_where_text,
        on_location=on_where_location,
    ),
    "when": Question(prompt=when_prompt, choices=when_choices, on_choice=on_when_choice, on_text=on_when_text),
    "daypart": Question(prompt=daypart_prompt, choices=daypart_choices, on_choice=on_daypart),
    "self": Question(prompt=self_prompt, choices=self_choices, on_choice=on_self),
    "what": Question(prompt=what_prompt, on_text=on_what_text, on_media=on_what_media),
    "privacy": Question(prompt=privacy_prompt, choices=privacy_choices, on_choice=on_privacy),
    "name": Question(prompt=name_prompt, on_text=on_name),
    "agencies": Question(prompt=agencies_prompt, choices=agencies_choices, on_choice=on_agency),
    "confirm": Question(prompt=confirm_prompt, choices=confirm_choices, on_choice=on_confirm),
    "change": Question(prompt=change_prompt, choices=change_choices, on_choice=on_change),
}
