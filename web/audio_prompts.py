"""Community recordings of prompts on the web: the public address a recording is fetched from (by Twilio for
WhatsApp, and by the web chat's player), and the admin page where recordings are uploaded, replaced and
removed (/staff/admin/audio-prompts).

GET /audio/<file name> is public on purpose: a recording is a prompt read aloud, with nothing of any
resident in it, and Twilio fetches it without credentials. Its name carries a digest of its bytes, so it
is cached for good; a name that is not the recording kept now answers 404.
"""
from __future__ import annotations

import io

from flask import Blueprint, abort, current_app, redirect, render_template, request, send_file, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from bot import audio_prompts as recordings
from bot.media import MediaRefused
from flows import i18n
from flows.audio_prompts import AUDIO_PROMPTS, may_have_recording
from flows.i18n import _N
from storage import audio_prompts as audio_store
from web.staff import _lang_query, _when, audit, blueprint, current_staff, staff_required, staff_session

public = Blueprint("audio_prompts", __name__)

ONE_YEAR = 365 * 24 * 3600
# Room for the form's other fields and the multipart framing around a recording of the largest size kept,
# so a file just over the limit reaches the view and is refused in words (larger ones: _too_large below).
UPLOAD_LIMIT = recordings.MAX_BYTES + 64 * 1024
ACCEPT = ".ogg,.opus,.mp3,.m4a,audio/ogg,audio/mpeg,audio/mp4"


@public.get("/audio/<recording>")
def recording_file(recording: str):
    """A recording kept now, by its file name; 404 for any other name (a replaced one included)."""
    found = recordings.by_file_name(_media_dir(), recording)
    if found is None:
        abort(404)
    # From memory (a recording is at most a few MB): a player that stops reading part-way never leaves the
    # file open, and Range requests still work.
    response = send_file(io.BytesIO(found.path.read_bytes()), mimetype=found.content_type, conditional=True,
                         etag=found.version, max_age=ONE_YEAR)
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response


# --- the admin page ----------------------------------------------------------------------------------

PROBLEMS = {
    # TRANSLATORS: on the admin page for recorded prompts, when the form named no recording the page lists.
    "unknown": _N("Choose one of the recordings listed on this page."),
    # TRANSLATORS: on the admin page for recorded prompts, when Upload was pressed without a file.
    "no_file": _N("Choose a sound file to upload."),
    # TRANSLATORS: on the admin page for recorded prompts; %(size)s is the largest size in megabytes, e.g. "3".
    "too_large": _N("That file is too large: a recording can be at most %(size)s MB. A minute of speech is "
                    "much smaller."),
    # TRANSLATORS: on the admin page for recorded prompts, when the file is not a sound file every app can play.
    "not_audio": _N("That file is not a recording we can send. Upload an Ogg (Opus), MP3 or M4A sound file, "
                    "such as a WhatsApp or Telegram voice message or a phone's voice memo."),
    # TRANSLATORS: on the admin page for recorded prompts, when Remove was pressed where there is no recording.
    "nothing_to_remove": _N("There is no recording there to remove."),
}

DONE = {
    # TRANSLATORS: on the admin page for recorded prompts, after an upload. Residents get the text as well.
    "uploaded": _N("The recording was saved. Residents who chose that language now hear it before the text."),
    # TRANSLATORS: on the admin page for recorded prompts, after removing a recording.
    "removed": _N("The recording was removed. Residents who chose that language get the text only."),
}


@blueprint.url_value_preprocessor
def _room_for_a_recording(endpoint, _values) -> None:
    # Before any before_request reads the form (the CSRF check does): this one form carries a file.
    if endpoint == "staff.audio_prompts_change":
        request.max_content_length = UPLOAD_LIMIT


@blueprint.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    identity = current_staff()
    if request.endpoint != "staff.audio_prompts_change" or identity is None or identity.role != "admin":
        return error  # others' forms, and anyone else, get the plain 413
    return _page(status=413, problem="too_large")


@blueprint.get("/admin/audio-prompts")
@staff_required("admin")
def audio_prompts():
    return _page(done=DONE.get(request.args.get("done", "")))


@blueprint.post("/admin/audio-prompts")
@staff_required("admin")
def audio_prompts_change():
    """Upload (or replace) or remove one recording: `prompt`, `language`, `action` and the file `recording`."""
    prompt, language = request.form.get("prompt", ""), request.form.get("language", "")
    action = request.form.get("action", "")
    if not may_have_recording(prompt, language) or action not in ("upload", "remove"):
        return _page(status=400, problem="unknown")
    if action == "remove":
        removed = recordings.remove(_media_dir(), prompt, language)
        if removed is None:
            return _page(status=400, problem="nothing_to_remove")
        audit(audio_store.REMOVED, prompt=prompt, language=language, recording=removed.file_name)
        staff_session().commit()
        return _back("removed")
    upload = request.files.get("recording")
    if upload is None or not upload.filename:
        return _page(status=400, problem="no_file")
    content = upload.read(recordings.MAX_BYTES + 1)
    if not content:
        return _page(status=400, problem="no_file")
    try:
        recordings.prepare(content)  # every refusal before anything is written or audited
    except MediaRefused as refused:
        return _page(status=400, problem="too_large" if str(refused) == "too large" else "not_audio")
    saved = recordings.save(_media_dir(), prompt, language, content)
    audit(audio_store.UPLOADED, prompt=prompt, language=language, recording=saved.file_name, bytes=saved.size)
    staff_session().commit()
    return _back("uploaded")


def _back(done: str):
    # 303: the browser asks for the page again, so a reload never uploads twice.
    return redirect(url_for("staff.audio_prompts", done=done, **_lang_query()), code=303)


def _page(*, status: int = 200, problem: str | None = None, done: str | None = None):
    kept = recordings.every_recording(_media_dir())
    uploaded = audio_store.uploaders(staff_session(),
                                     file_names=[found.file_name for found in kept.values() if found])
    rows = [
        (prompt, [(code, i18n.BY_CODE[code].endonym, kept[(prompt.key, code)],
                   uploaded.get(kept[(prompt.key, code)].file_name) if kept[(prompt.key, code)] else None)
                  for code in prompt.languages])
        for prompt in AUDIO_PROMPTS.values()
    ]
    page = render_template("staff/audio_prompts.html", rows=rows, problem=PROBLEMS.get(problem), done=done,
                           max_megabytes=recordings.MAX_BYTES // (1024 * 1024), accept=ACCEPT,
                           public_path=recordings.public_path, when=_when)
    return page, status


def _media_dir() -> str:
    return current_app.extensions["safer_homes.settings"].media_dir
