"""The admin page for community recordings of prompts (/staff/admin/audio-prompts) and their public address
(/audio/<file name>), through the Flask client on SQLite and PostgreSQL: an admin uploads, replaces and removes
a recording, audited; everyone else, a forged form, a file that is not a recording we can send, one too large
and a recording the page does not list are refused in words and change nothing."""
from __future__ import annotations

import html
import io
import re
import struct
from datetime import datetime, timezone
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from bot import audio_prompts
from bot.media import media_to_keep
from flows.audio_prompts import MAIN_MENU, WELCOME
from storage import staff
from storage.database import new_session
from tests import media_samples
from tests.helpers import dump_every_table
from tests.web.pentest_world import app_with_media

NOW = datetime(2027, 3, 2, 10, 30, tzinfo=timezone.utc)
PASSWORD = "a long enough passphrase"
PAGE = "/staff/admin/audio-prompts"
OGG = media_samples.ogg_opus(comments=("TITLE=MARKER-TITLE Ben Jonson Rd", "ARTIST=MARKER-ARTIST"), frames=30)
MP3 = media_samples.mp3(frames=20)


@pytest.fixture
def app(database_url, tmp_path):
    for app in app_with_media(database_url, tmp_path):
        app.extensions["safer_homes.clock"] = lambda: NOW
        yield app


def _account(app, email: str, role: str, agency: str | None = None) -> None:
    with new_session(app.extensions["safer_homes.engine"]) as session:
        staff.add_staff(session, email=email, role=role, agency_slug=agency, password=PASSWORD, now=NOW)
        session.commit()


def _token(client, path: str = PAGE) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def sign_in(app, client, email: str, role: str, agency: str | None = None) -> None:
    _account(app, email, role, agency)
    response = client.post("/staff/login", data={"email": email, "password": PASSWORD,
                                                 "csrf_token": _token(client, "/staff/login")})
    assert response.status_code == 302


def sign_in_admin(app, client) -> None:
    sign_in(app, client, "admin@example.org", "admin")


def upload(client, prompt: str, language: str, content: bytes, filename: str, *, token: str | None = None,
           action: str = "upload"):
    data = {"csrf_token": _token(client) if token is None else token, "prompt": prompt, "language": language,
            "action": action}
    if content is not None:
        data["recording"] = FileStorage(io.BytesIO(content), filename=filename,
                                        content_type="application/octet-stream")
    # Encoded here, in memory: the test client spools a large body to a temporary file it never closes.
    boundary, body = encode_multipart(MultiDict(data))
    return client.post(PAGE, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _remove(client, prompt: str, language: str):
    return client.post(PAGE, data={"csrf_token": _token(client), "prompt": prompt, "language": language,
                                   "action": "remove"})


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _files(app) -> dict[str, bytes]:
    folder = audio_prompts.directory(app.extensions["safer_homes.settings"].media_dir)
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*"))} if folder.is_dir() else {}


def _audit(app) -> list[tuple[str, dict, str]]:
    with new_session(app.extensions["safer_homes.engine"]) as session:
        return [(entry.action, entry.detail, email) for entry, email in staff.list_audit(session)
                if entry.action.startswith("audio_prompt")]


def _ogg_vorbis() -> bytes:
    """A whole, well-formed Ogg Vorbis file (headers only), with right checksums."""
    from mutagen.ogg import OggPage

    ident = b"\x01vorbis" + struct.pack("<IBIiiiBB", 0, 1, 44100, 0, 128000, 0, 0xB8, 1)
    vendor = b"Xiph.Org libVorbis"
    comment = b"\x03vorbis" + struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", 0) + b"\x01"
    pages = []
    for sequence, packets in enumerate([[ident], [comment]]):
        page = OggPage()
        page.serial, page.sequence, page.position, page.packets = 0x0F0F, sequence, 0, packets
        page.first, page.last = sequence == 0, sequence == 1
        pages.append(page.write())
    return b"".join(pages)


def _everything(app, database_url):
    return dump_every_table(database_url), _files(app)


def test_an_admin_sees_every_prompt_and_language_that_can_have_a_recording_and_finds_the_page_in_the_menu(app):
    client = app.test_client()
    sign_in_admin(app, client)
    assert f'href="{PAGE}"' in client.get("/staff/").get_data(as_text=True)
    page = _text(client.get(PAGE))
    assert page.index("<h2 id=\"prompt-main_menu\">Main menu</h2>") < page.index("<h2 id=\"prompt-welcome\">Welcome</h2>")
    assert page.count("No recording yet: residents get the text only.") == 4  # two prompts, Bengali and Somali
    assert 'lang="bn">বাংলা</span>' in page and 'lang="so">Soomaali</span>' in page
    assert "Sylheti" in page  # what to record says how to speak for people who do not read Bengali script
    assert page.count('enctype="multipart/form-data"') == 4 and "<audio" not in page


def test_an_admin_uploads_replaces_and_removes_a_recording_and_each_is_audited(app):
    client = app.test_client()
    sign_in_admin(app, client)
    response = upload(client, MAIN_MENU, "bn", OGG, "menu-bengali.ogg")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"{PAGE}?done=uploaded")
    kept = audio_prompts.find(app.extensions["safer_homes.settings"].media_dir, MAIN_MENU, "bn")
    assert re.fullmatch(r"main_menu\.bn\.[0-9a-f]{16}\.ogg", kept.file_name)
    stored = kept.path.read_bytes()
    assert b"MARKER" not in stored and stored.startswith(b"OggS")  # the recorder's tags are not kept
    page = _text(client.get(f"{PAGE}?done=uploaded"))
    assert "The recording was saved." in page
    assert f'<audio controls preload="none" src="/audio/{kept.file_name}"' in page
    assert "Uploaded by admin@example.org, Mar 2, 2027, 10:30:00" in page  # London time, in the page's language
    assert "Replace the recording" in page and "Remove the বাংলা recording" in page
    with client.get(f"/audio/{kept.file_name}") as served:
        assert served.status_code == 200 and served.get_data() == stored and served.mimetype == "audio/ogg"

    assert upload(client, MAIN_MENU, "bn", MP3, "better.mp3").status_code == 303
    replaced = audio_prompts.find(app.extensions["safer_homes.settings"].media_dir, MAIN_MENU, "bn")
    assert replaced.file_name.endswith(".mp3") and list(_files(app)) == [".lock", replaced.file_name]
    assert client.get(f"/audio/{kept.file_name}").status_code == 404  # the old one is gone
    with client.get(f"/audio/{replaced.file_name}") as served:
        assert served.mimetype == "audio/mpeg"

    response = _remove(client, MAIN_MENU, "bn")
    assert response.status_code == 303 and response.headers["Location"].endswith("done=removed")
    assert list(_files(app)) == [".lock"] and client.get(f"/audio/{replaced.file_name}").status_code == 404
    assert "The recording was removed." in _text(client.get(f"{PAGE}?done=removed"))
    assert _audit(app) == [
        ("audio_prompt_removed", {"prompt": "main_menu", "language": "bn", "recording": replaced.file_name},
         "admin@example.org"),
        ("audio_prompt_uploaded", {"prompt": "main_menu", "language": "bn", "recording": replaced.file_name,
                                   "bytes": replaced.size}, "admin@example.org"),
        ("audio_prompt_uploaded", {"prompt": "main_menu", "language": "bn", "recording": kept.file_name,
                                   "bytes": kept.size}, "admin@example.org"),
    ]


@pytest.mark.parametrize("role, agency", [("officer", "council"), ("organiser", "council"), ("viewer", "police")])
def test_no_other_role_may_see_upload_or_remove(app, database_url, role, agency):
    admin = app.test_client()
    sign_in_admin(app, admin)
    assert upload(admin, MAIN_MENU, "so", MP3, "so.mp3").status_code == 303
    before = _everything(app, database_url)
    client = app.test_client()
    sign_in(app, client, f"{role}@example.org", role, agency)
    token = _token(client, "/staff/")
    assert client.get(PAGE).status_code == 403
    assert f'href="{PAGE}"' not in client.get("/staff/").get_data(as_text=True)
    assert upload(client, MAIN_MENU, "bn", OGG, "x.ogg", token=token).status_code == 403
    assert client.post(PAGE, data={"csrf_token": token, "prompt": MAIN_MENU, "language": "so",
                                   "action": "remove"}).status_code == 403
    after = _everything(app, database_url)
    assert after[1] == before[1]
    assert [row for row in after[0]["auditentry"] if "audio_prompt" in repr(row)] == \
        [row for row in before[0]["auditentry"] if "audio_prompt" in repr(row)]


def test_someone_signed_out_is_sent_to_sign_in_and_nothing_changes(app, database_url):
    before = _everything(app, database_url)
    client = app.test_client()
    assert client.get(PAGE).status_code == 302
    response = client.post(PAGE, data={"prompt": MAIN_MENU, "language": "bn", "action": "upload",
                                       "recording": (io.BytesIO(OGG), "x.ogg")}, content_type="multipart/form-data")
    assert response.status_code in (302, 400)
    assert _everything(app, database_url) == before


@pytest.mark.parametrize("token", ["", "forged-token-value"])
def test_a_forged_form_is_refused_and_changes_nothing(app, database_url, token):
    client = app.test_client()
    sign_in_admin(app, client)
    before = _everything(app, database_url)
    response = upload(client, MAIN_MENU, "bn", OGG, "menu.ogg", token=token)
    assert response.status_code == 400 and "The form had expired" in _text(response)
    assert _everything(app, database_url) == before


@pytest.mark.parametrize("content, filename", [
    (media_samples.jpeg_with_metadata(), "photo.ogg"),  # a photo, whatever it is called
    (b"just some text, not a recording", "menu.mp3"),
    (media_samples.AMR, "menu.amr"),  # a recording, but Telegram would show it as a file
    (media_samples.iso_media(handlers=(b"vide",)), "film.m4a"),
    (OGG[:-40], "broken.ogg"),
], ids=["photo", "text", "amr", "video", "truncated"])
def test_a_file_that_is_not_a_recording_every_channel_plays_is_refused_in_words(app, database_url, content, filename):
    client = app.test_client()
    sign_in_admin(app, client)
    assert upload(client, MAIN_MENU, "bn", MP3, "kept.mp3").status_code == 303
    before = _everything(app, database_url)
    response = upload(client, MAIN_MENU, "bn", content, filename)
    assert response.status_code == 400
    page = _text(response)
    assert "Nothing was changed. That file is not a recording we can send." in page and "role=\"alert\"" in page
    assert _everything(app, database_url) == before


def test_an_ogg_file_that_is_not_opus_is_refused(app, database_url):
    # Browsers play Ogg Vorbis, but neither Telegram nor WhatsApp takes it as a voice message.
    not_opus = _ogg_vorbis()
    assert media_to_keep(not_opus).extension == ".ogg"  # a voice note we would keep from a resident
    client = app.test_client()
    sign_in_admin(app, client)
    before = _everything(app, database_url)
    response = upload(client, MAIN_MENU, "so", not_opus, "menu.ogg")
    assert response.status_code == 400 and "That file is not a recording we can send." in _text(response)
    assert _everything(app, database_url) == before


def test_a_recording_too_large_is_refused_in_words_whatever_its_size(app, database_url):
    client = app.test_client()
    sign_in_admin(app, client)
    before = _everything(app, database_url)
    just_over = MP3 + bytes(audio_prompts.MAX_BYTES)  # reaches the page: refused by its own size check
    response = upload(client, MAIN_MENU, "bn", just_over, "long.mp3")
    assert response.status_code == 400
    assert "That file is too large: a recording can be at most 3 MB." in _text(response)
    far_over = bytes(audio_prompts.MAX_BYTES * 2)  # past what the form may carry: refused before it is read
    response = upload(client, MAIN_MENU, "bn", far_over, "huge.mp3")
    assert response.status_code == 413
    assert "That file is too large: a recording can be at most 3 MB." in _text(response)
    assert _everything(app, database_url) == before


@pytest.mark.parametrize("prompt, language, action", [
    ("main_menu", "fr", "upload"),  # a shipped language the page does not list for recordings
    ("goodbye", "bn", "upload"),
    ("../main_menu", "bn", "upload"),
    ("main_menu", "bn", "replace-everything"),
    ("", "", "upload"),
])
def test_a_recording_the_page_does_not_list_is_refused_in_words(app, database_url, prompt, language, action):
    client = app.test_client()
    sign_in_admin(app, client)
    before = _everything(app, database_url)
    response = upload(client, prompt, language, OGG, "menu.ogg", action=action)
    assert response.status_code == 400
    assert "Nothing was changed. Choose one of the recordings listed on this page." in _text(response)
    assert _everything(app, database_url) == before


def test_upload_without_a_file_and_remove_with_nothing_there_are_explained(app, database_url):
    client = app.test_client()
    sign_in_admin(app, client)
    before = _everything(app, database_url)
    response = upload(client, WELCOME, "so", None, "")
    assert response.status_code == 400 and "Choose a sound file to upload." in _text(response)
    response = upload(client, WELCOME, "so", b"", "empty.ogg")
    assert response.status_code == 400 and "Choose a sound file to upload." in _text(response)
    response = _remove(client, WELCOME, "so")
    assert response.status_code == 400 and "There is no recording there to remove." in _text(response)
    assert _everything(app, database_url) == before


@pytest.mark.parametrize("name", [
    "main_menu.bn.0123456789abcdef.ogg",  # the right shape, but not the recording kept
    "main_menu.fr.0123456789abcdef.ogg",
    ".lock", "..%2f..%2fsecret.ogg", "main_menu.bn.ogg", "MAIN_MENU.bn.0123456789abcdef.ogg",
])
def test_the_public_address_answers_only_the_recording_kept_now(app, name):
    audio_prompts.save(app.extensions["safer_homes.settings"].media_dir, MAIN_MENU, "bn", OGG)
    assert app.test_client().get(f"/audio/{name}").status_code == 404


def test_the_public_address_is_cacheable_and_answers_ranges_for_players(app):
    kept = audio_prompts.save(app.extensions["safer_homes.settings"].media_dir, MAIN_MENU, "so", MP3)
    client = app.test_client()
    with client.get(f"/audio/{kept.file_name}") as response:
        assert response.status_code == 200 and "Set-Cookie" not in response.headers
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["ETag"] == f'"{kept.version}"'
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    with client.get(f"/audio/{kept.file_name}", headers={"If-None-Match": f'"{kept.version}"'}) as unchanged:
        assert unchanged.status_code == 304
    with client.get(f"/audio/{kept.file_name}", headers={"Range": "bytes=0-99"}) as part:
        assert part.status_code == 206 and part.get_data() == Path(kept.path).read_bytes()[:100]
