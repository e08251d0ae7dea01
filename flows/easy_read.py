"""Easy read: a simpler wording set a resident can choose, for the messages residents read most.

Short sentences with one idea each, common words, one question a message, and choices also written as
numbered lines (the engine does the splitting and the numbering: flows/engine.py Turn.say). Only the words
differ: the steps, the keys and the flow are the same, so a flow asks for easy read by nothing more than
`turn._(standard msgid)`; Turn._ looks the msgid up here.

Each easy version is its own catalogue entry with the context "easy read" (msgctxt), so the catalogue test
requires them only in languages with `easy_read=True` (flows/i18n.py LANGUAGES). A tuple is several
messages, said in order. The privacy promises (flows/report.py PRIVACY_PROMISES) have no easy version: they
are promises, and are said word for word in easy read too. docs/flows/easy-read.md says how to add one.
"""
from __future__ import annotations

from typing import Optional

from flows import i18n

CONTEXT = "easy read"


def _NC(context: str, message: str) -> str:
    """Mark a string with its context for extraction (`pybabel -k _NC:1c,2`); translated where it is used."""
    return message


# Standard msgid -> its easy-read version. The keys are the standard English words, exactly as in the code
# (tests/flows/test_easy_read.py fails on a key no flow says any more). An easy version keeps every
# placeholder of its standard one and every phone number, and says nothing the standard one does not.
EASY_READ: dict[str, str | tuple[str, ...]] = {
    # --- home: welcome, menu, help -----------------------------------------------------------------
    "Welcome to Safer Homes. You can tell the council, your housing provider or the police about a "
    "safety worry or anti-social behaviour in your area, in your own language, and choose how private "
    "it is. If someone is in danger right now, call 999.": (
        # TRANSLATORS: easy read (short sentences, one idea each, everyday words): the first thing a resident
        # reads after choosing a language. Keep one sentence a line.
        _NC("easy read", "Welcome to Safer Homes.\n"
                         "You can tell us about a worry where you live.\n"
                         "We pass it to the council, your landlord or the police.\n"
                         "You can write in your own language.\n"
                         "You choose how private it is."),
        # TRANSLATORS: easy read: the last part of the welcome. Keep 999 exactly.
        _NC("easy read", "If someone is in danger now, call 999."),
    ),
    # TRANSLATORS: easy read: the main menu's question.
    "What would you like to do?": _NC("easy read", "What do you want to do?"),
    # TRANSLATORS: easy read: main menu choice, to report a safety worry.
    "Report a safety concern": _NC("easy read", "Report a worry"),
    # TRANSLATORS: easy read: main menu choice: community forums and ward panel meetings.
    "Meetings and events": _NC("easy read", "Meetings"),
    # TRANSLATORS: easy read: main menu choice: community rooms that cost little or nothing to use.
    "Find a free or low-cost space": _NC("easy read", "Find a free or cheap room"),
    # TRANSLATORS: easy read: main menu choice: local services for families, young people, money, housing,
    # mental health, drugs and alcohol, victims of crime, and getting online.
    "Get help and support": _NC("easy read", "Get help"),
    "Safer Homes passes your safety concerns to the council, your housing provider and, only if you "
    "choose, the police.\n"
    "• In an emergency, or if someone is in danger, call 999.\n"
    "• To talk to the police when it is not an emergency, call 101.\n"
    "• To tell Crimestoppers about a crime without giving your name, call 0800 555 111.\n"
    "You can type a number to choose. Type \"menu\" at any time to go back, \"language\" to change "
    "language, or \"stop\" to stop.": (
        # TRANSLATORS: easy read: help, first part.
        _NC("easy read", "Safer Homes sends your worries to the council or your landlord.\n"
                         "It sends them to the police only if you choose."),
        # TRANSLATORS: easy read: help, the phone numbers. Keep the numbers exactly as they are.
        _NC("easy read", "Someone in danger now: call 999.\n"
                         "Police, not an emergency: call 101.\n"
                         "Crimestoppers, without giving your name: call 0800 555 111."),
        # TRANSLATORS: easy read: help, the words that always work. Each quoted word is that word in your
        # language, as in the standard help.
        _NC("easy read", "Send a number to choose.\n"
                         "Send \"menu\" to go back.\n"
                         "Send \"language\" to change language.\n"
                         "Send \"stop\" to stop."),
    ),
    # TRANSLATORS: easy read: the last line of help. %(phrase)s is "forget me" in the resident's language.
    "Type \"%(phrase)s\" at any time to have us delete how to reach you and every link to your reports.":
        _NC("easy read", "Send \"%(phrase)s\" and we delete how to reach you.\n"
                         "We also delete every link to your reports."),
    "To learn how to install Telegram or WhatsApp, or use this chat on a library computer, choose "
    "\"%(menu_choice)s\" on the menu, then \"%(online_choice)s\".":
        # TRANSLATORS: easy read: a line of help. %(menu_choice)s and %(online_choice)s are the menu choices
        # "Get help" and "Getting online: Wi-Fi, devices and skills" in the resident's language.
        _NC("easy read", "We can help you use Telegram, WhatsApp or a library computer.\n"
                         "Choose \"%(menu_choice)s\" on the menu.\n"
                         "Then choose \"%(online_choice)s\"."),
    # TRANSLATORS: easy read: after help, before asking the question again.
    "Let's carry on where you were.": _NC("easy read", "Now back to where you were."),
    "Welcome back. You were part way through. Would you like to carry on, or start again?": (
        # TRANSLATORS: easy read: the resident came back after a long gap in the middle of something.
        _NC("easy read", "Welcome back.\nYou did not finish last time."),
        # TRANSLATORS: easy read: the question after "Welcome back".
        _NC("easy read", "Do you want to carry on, or start again?"),
    ),
    # TRANSLATORS: easy read: choice for a resident back after a long gap: carry on with what they were doing.
    "Carry on where I was": _NC("easy read", "Carry on"),
    # TRANSLATORS: easy read: the resident typed "stop" in the middle of a report.
    "Stopped. Your unfinished report was deleted and nothing was sent.":
        _NC("easy read", "Stopped.\nWe deleted your unfinished report.\nNothing was sent."),
    # TRANSLATORS: easy read: after stopping.
    "Send any message when you want to start again.": _NC("easy read", "Send any message to start again."),

    # --- engine: what every question has -------------------------------------------------------------
    # TRANSLATORS: easy read: the answer fitted nothing the question accepts.
    "Sorry, I didn't understand that.": _NC("easy read", "Sorry, I did not understand."),
    # TRANSLATORS: easy read: the answer was not one of the choices.
    "Please reply with the number of one of the choices.": _NC("easy read", "Please send the number of your answer."),
    "Sorry, I still didn't understand. You can try this question again, go back to the menu, or read the "
    "help.": (
        # TRANSLATORS: easy read: after three answers the bot could not understand.
        _NC("easy read", "Sorry, I still did not understand."),
        # TRANSLATORS: easy read: the question after three misunderstood answers (try again, menu, or help).
        _NC("easy read", "What do you want to do now?"),
    ),
    # TRANSLATORS: easy read: the resident sent more text than one message may hold.
    "That message is too long for me. Please send it again in shorter parts, at most %(limit)s characters "
    "each.": _NC("easy read", "Your message is too long.\n"
                              "Please send it in shorter parts.\n"
                              "Each part can have %(limit)s letters at most."),
    # TRANSLATORS: easy read: the resident sent a file we cannot keep.
    "That file is too big, or of a kind we can't keep. Please send a photo or a short voice message, or "
    "type instead.": _NC("easy read", "We cannot keep that file.\n"
                                      "Please send a photo or a short voice message.\n"
                                      "Or you can type."),

    # --- the report ----------------------------------------------------------------------------------
    # TRANSLATORS: easy read: the first question of every report.
    "First: is anyone in danger right now?": _NC("easy read", "Is anyone in danger now?"),
    # TRANSLATORS: easy read: answer to "Is anyone in danger now?"
    "Yes, someone is in danger now": _NC("easy read", "Yes"),
    "Please call 999 now. Emergency services can help straight away; this service cannot.\n"
    "When it is not an emergency you can call the police on 101, or tell Crimestoppers without "
    "giving your name on 0800 555 111.\n"
    "Would you also like to make a report here?": (
        # TRANSLATORS: easy read: shown when someone is in danger. Keep 999 exactly.
        _NC("easy read", "Please call 999 now.\n999 can help straight away.\nWe cannot."),
        # TRANSLATORS: easy read: the numbers for when it is not an emergency. Keep them exactly.
        _NC("easy read", "When it is not an emergency, call the police on 101.\n"
                         "Or tell Crimestoppers on 0800 555 111.\n"
                         "You do not have to give your name to Crimestoppers."),
        # TRANSLATORS: easy read: the question after the 999 advice.
        _NC("easy read", "Do you also want to make a report here?"),
    ),
    # TRANSLATORS: easy read: after the 999 advice, carry on with a report.
    "Yes, carry on with a report": _NC("easy read", "Yes, make a report"),
    # TRANSLATORS: easy read: after the 999 advice, stop the report.
    "No, back to the menu": _NC("easy read", "No, go to the menu"),
    # TRANSLATORS: easy read: report category. Describe behaviour, never a group of people.
    "Anti-social behaviour": _NC("easy read", "Trouble or nuisance nearby"),
    # TRANSLATORS: easy read: report category: drug dealing or drug use in a public or shared place.
    "Drug dealing or drug use nearby": _NC("easy read", "Drugs nearby"),
    # TRANSLATORS: easy read: report category: harassment or intimidation.
    "Harassment or intimidation": _NC("easy read", "Someone frightening or bothering you"),
    # TRANSLATORS: easy read: report category: a hate incident (race, religion, disability, sexual
    # orientation or transgender identity).
    "Hate incident (because of race, religion, disability, sexual orientation or transgender identity)":
        _NC("easy read", "Hate, because of who someone is"),
    # TRANSLATORS: easy read: report category: poor lighting, broken doors, hidden corners.
    "A place that feels unsafe (poor lighting, broken doors, hidden corners)": _NC("easy read", "A place that feels unsafe"),
    "Where did it happen? Type a street, estate or landmark, share your location, or choose your ward "
    "from the list. Choose \"Skip\" if you'd rather not say.": (
        # TRANSLATORS: easy read: before asking where. "Skip" is the label of that choice in your language.
        _NC("easy read", "You can type a street, estate or place.\n"
                         "Or you can share your location.\n"
                         "Or choose your ward from the list.\n"
                         "Choose \"Skip\" if you do not want to say."),
        # TRANSLATORS: easy read: the question.
        _NC("easy read", "Where did it happen?"),
    ),
    "When did it happen? Choose one, or type a day and time.": (
        # TRANSLATORS: easy read: before asking when it happened.
        _NC("easy read", "You can choose from the list.\nOr type a day and time."),
        # TRANSLATORS: easy read: the question.
        _NC("easy read", "When did it happen?"),
    ),
    # TRANSLATORS: easy read: answer to "When did it happen?"
    "It is happening now": _NC("easy read", "Now"),
    # TRANSLATORS: easy read: answer to "When did it happen?"
    "Earlier today": _NC("easy read", "Today"),
    # TRANSLATORS: easy read: asked only about a place that feels unsafe.
    "What time of day does it feel unsafe?": _NC("easy read", "When does it feel unsafe?"),
    "Tower Hamlets is designing a plan for safety at night together with women and girls, so it helps to "
    "know which reports come from them. The organisations you choose see your answer; the public only ever "
    "sees totals.\n"
    "Would you like to tell us you are a woman or girl? This is optional: choose \"Skip\" if you'd rather "
    "not say.": (
        # TRANSLATORS: easy read: why the optional question is asked. Only about a place that feels unsafe.
        _NC("easy read", "Tower Hamlets is making a plan for safety at night.\n"
                         "It is making the plan with women and girls.\n"
                         "So it helps to know which reports come from them."),
        # TRANSLATORS: easy read: who sees the answer. "Skip" is the label of that choice in your language.
        _NC("easy read", "The organisations you choose see your answer.\n"
                         "The public only ever sees totals.\n"
                         "You do not have to answer.\n"
                         "Choose \"Skip\" if you do not want to say."),
        # TRANSLATORS: easy read: the optional question. It must never sound like a question about anything else.
        _NC("easy read", "Do you want to tell us you are a woman or girl?"),
    ),
    # TRANSLATORS: easy read: asking for the description, in the resident's words and language.
    "Please tell us what happened, in your own words and your own language.":
        _NC("easy read", "Please tell us what happened.\nUse your own words and your own language."),
    "What name should we give the organisations you choose?": (
        # TRANSLATORS: easy read: before asking a named reporter's name.
        _NC("easy read", "We give your name to the organisations you choose."),
        # TRANSLATORS: easy read: the question.
        _NC("easy read", "What name should we give them?"),
    ),
    # TRANSLATORS: easy read: the name typed is longer than we can keep.
    "Please give a shorter name, at most %(limit)s characters.":
        _NC("easy read", "Please send a shorter name.\nUse %(limit)s letters at most."),
    "Who may see your report? Choose an organisation to tick it; choose it again to untick it. Then "
    "choose \"Done\". The police see it only if you tick them.": (
        # TRANSLATORS: easy read: how to tick organisations. ☑ means ticked. "Done" is that choice's label.
        _NC("easy read", "Choose an organisation to tick it.\n"
                         "Choose it again to untick it.\n"
                         "Then choose \"Done\".\n"
                         "The police see it only if you tick them."),
        # TRANSLATORS: easy read: the question.
        _NC("easy read", "Who may see your report?"),
    ),
    # TRANSLATORS: easy read: "Done" chosen with no organisation ticked.
    "Please tick at least one organisation, so someone can act on your report.":
        _NC("easy read", "Please tick at least one organisation.\nThen someone can act on your report."),
    # TRANSLATORS: easy read: choosing which answer to change before sending.
    "What would you like to change?": _NC("easy read", "What do you want to change?"),
    # TRANSLATORS: easy read: delete the unfinished report without sending it.
    "Delete this report without sending": _NC("easy read", "Delete it and do not send it"),
    # TRANSLATORS: easy read: the resident deleted an unfinished report.
    "Your report was deleted and nothing was sent.": _NC("easy read", "We deleted your report.\nNothing was sent."),
    "Thank you. Your report has been sent. Your reference is %(reference)s. Keep it: send "
    "\"status %(reference)s\" at any time, from any phone or computer, to see what is happening.": (
        # TRANSLATORS: easy read: the acknowledgement. Keep %(reference)s exactly; residents copy it.
        _NC("easy read", "Thank you.\nYour report has been sent.\nYour reference is %(reference)s.\nPlease keep it."),
        # TRANSLATORS: easy read: how to follow the report. "status" is the command word in your language.
        _NC("easy read", "To see what is happening, send \"status %(reference)s\".\n"
                         "You can send it from any phone or computer."),
    ),

    # --- the status check ------------------------------------------------------------------------------
    # TRANSLATORS: easy read: asking for a reference code; keep "TH-1234-ABCD" as it is.
    "Please type your report's reference. It looks like TH-1234-ABCD.":
        _NC("easy read", "Please type your reference.\nIt looks like TH-1234-ABCD."),
    # TRANSLATORS: easy read: the text typed does not look like a reference code.
    "That doesn't look like a reference code.": _NC("easy read", "That is not a reference."),
    # TRANSLATORS: easy read: a status check for a reference code that matches no report.
    "I couldn't find a report with the reference %(reference)s. Please check the code and try again.":
        _NC("easy read", "I cannot find report %(reference)s.\nPlease check it and try again."),
    # TRANSLATORS: easy read: status check answer. %(status)s is one of the report statuses.
    "Report %(reference)s, sent on %(date)s: %(status)s.":
        _NC("easy read", "Report %(reference)s.\nYou sent it on %(date)s.\nNow it is %(status)s."),
    # TRANSLATORS: easy read: a report's status: it has arrived and is waiting to be looked at.
    "received, waiting to be looked at": _NC("easy read", "waiting to be looked at"),
}


def offered(lang: str) -> bool:
    """Whether easy read is written for `lang` (elsewhere it is not offered, and a resident who had it
    reads the standard words)."""
    language = i18n.BY_CODE.get(lang)
    return bool(language and language.easy_read)


def words(lang: str, msgid: str) -> Optional[str]:
    """The easy version of `msgid` in `lang`, its messages separated by blank lines; None when it has none,
    or when this language's catalogue has not translated it yet: then the standard words in the resident's
    own language are better than easy words in English."""
    easy = EASY_READ.get(msgid)
    if easy is None or not offered(lang):
        return None
    catalogue = i18n.translations(lang)
    parts = []
    for part in (easy,) if isinstance(easy, str) else easy:
        translated = catalogue.pgettext(CONTEXT, part)
        if translated == part and lang != i18n.DEFAULT_LANGUAGE:
            return None
        parts.append(translated)
    return "\n\n".join(parts)
