"""Photos and voice notes over the real Telegram webhook, the file served by the fake Bot API: what lands
under MEDIA_DIR has no GPS, camera, time or tags in it, and anything we cannot keep is refused politely with
nothing stored. On SQLite and PostgreSQL."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from flows.i18n import translations
from tests import media_samples as samples
from tests.bot.test_media_cleaning import assert_no_metadata
from tests.bot.test_telegram_webhook import (  # noqa: F401 (fixtures)
    NoWait, Resident, _close, _telegram_app, _to_the_what_step, api, app, client,
)
from tests.helpers import dump_every_table

_ = translations("en").gettext
REFUSAL = _("That file is too big, or of a kind we can't keep. Please send a photo or a short voice message, "
            "or type instead.")


def _kept(tmp_path) -> list:
    media_dir = tmp_path / "media"
    return sorted(media_dir.iterdir()) if media_dir.exists() else []


def _said(replies) -> str:
    return "\n\n".join(reply.plain for reply in replies)


def _report_it(resident: Resident) -> None:
    resident.taps_button("privacy:anonymous")
    resident.taps_button("done")
    acknowledgement = _said(resident.taps_button("confirm:yes"))
    assert "TH-" in acknowledgement


@pytest.mark.parametrize("make, suffix", [
    (samples.jpeg_with_metadata, ".jpg"),
    (samples.png_with_metadata, ".png"),
    (samples.webp_with_metadata, ".webp"),
])
def test_a_photos_gps_camera_and_text_never_reach_the_disk_or_the_database(client, api, tmp_path, database_url,
                                                                           make, suffix):
    sent = make()
    resident = Resident(client, api, 42, language_code="en")
    _to_the_what_step(resident)
    file_id = api.add_file(sent, file_path=f"photos/file_1{suffix}")
    replies = resident.sends(resident.user.photo(file_id, file_size=len(sent), caption="the broken entry door"))
    assert "privacy:anonymous" in replies[-1].callback_data  # taken as the description
    _report_it(resident)

    [kept] = _kept(tmp_path)
    assert kept.suffix == suffix
    assert_no_metadata(kept.read_bytes())
    with Image.open(kept) as picture:
        assert picture.size == (48, 24)
    rows = repr(dump_every_table(database_url)).encode()
    assert kept.name.encode() in rows  # the report refers to the cleaned file
    assert samples.MARKER not in rows


def test_a_photo_taken_with_the_phone_upright_is_kept_upright(client, api, tmp_path):
    sent = samples.jpeg_with_metadata(orientation=6)
    resident = Resident(client, api, 42, language_code="en")
    _to_the_what_step(resident)
    resident.sends(resident.user.photo(api.add_file(sent), file_size=len(sent)))
    [kept] = _kept(tmp_path)
    picture = Image.open(io.BytesIO(kept.read_bytes()))
    assert picture.size == (24, 48) and dict(picture.getexif()) == {}
    red = picture.convert("RGB").getpixel((12, 4))
    assert red[0] > 180 and red[2] < 80, "the camera's left is the picture's top"


def test_a_voice_notes_tags_never_reach_the_disk(client, api, tmp_path):
    sent = samples.ogg_opus()
    resident = Resident(client, api, 42, language_code="en")
    _to_the_what_step(resident)
    replies = resident.sends(resident.user.voice(api.add_file(sent), file_size=len(sent)))
    assert "privacy:anonymous" in replies[-1].callback_data
    [kept] = _kept(tmp_path)
    assert kept.suffix == ".ogg" and samples.MARKER in sent and samples.MARKER not in kept.read_bytes()


def _truncated_jpeg() -> bytes:
    content = samples.jpeg_with_metadata(480, 240)
    return content[: len(content) // 2]


@pytest.mark.parametrize("content, file_path", [
    (samples.png_claiming(100_000, 100_000), "photos/file_2.png"),  # a decompression bomb
    (samples.png_claiming(8_000, 6_000), "photos/file_2.png"),  # more pixels than MEDIA_PHOTO_MAX_PIXELS
    (_truncated_jpeg(), "photos/file_3.jpg"),
    (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "photos/file_4.svg"),
    (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF", "photos/file_5.jpg"),  # a PDF named .jpg
    (b"<!doctype html><script>alert(1)</script>", "photos/file_6.jpg"),
    (samples.gif(), "photos/file_7.gif"),
    (samples.animated_png(), "photos/file_8.png"),
])
def test_bombs_broken_files_and_other_kinds_get_the_polite_refusal_and_nothing_is_stored(
        client, api, tmp_path, database_url, content, file_path):
    resident = Resident(client, api, 42, language_code="en")
    _to_the_what_step(resident)
    before = dump_every_table(database_url)
    replies = resident.sends(resident.user.photo(api.add_file(content, file_path=file_path), file_size=len(content)))
    assert REFUSAL in _said(replies)
    assert "privacy:anonymous" not in replies[-1].callback_data  # still asked what happened
    assert _kept(tmp_path) == []
    after = dump_every_table(database_url)
    assert after["reportmedia"] == before["reportmedia"] == []


def test_the_pixel_limit_is_a_setting(database_url, api, tmp_path):
    app = _telegram_app(database_url, api, tmp_path / "media", media_photo_max_pixels=1000)
    app.extensions["safer_homes.deliverer"].pacer = NoWait()
    try:
        resident = Resident(app.test_client(), api, 42, language_code="en")
        _to_the_what_step(resident)
        small, large = samples.jpeg_with_metadata(40, 25), samples.jpeg_with_metadata(41, 25)
        assert REFUSAL in _said(resident.sends(resident.user.photo(api.add_file(large), file_size=len(large))))
        assert _kept(tmp_path) == []
        replies = resident.sends(resident.user.photo(api.add_file(small), file_size=len(small)))
        assert "privacy:anonymous" in replies[-1].callback_data
        assert len(_kept(tmp_path)) == 1
    finally:
        _close(app)
