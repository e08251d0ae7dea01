"""Photos and voice notes over the real Twilio webhook (MMS and WhatsApp), the file served by the fake
Twilio API: what lands under MEDIA_DIR has no GPS, camera, time or tags in it, whatever type the message
claims, and anything we cannot keep is refused politely with nothing stored. On SQLite and PostgreSQL."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from flows import i18n
from tests import media_samples as samples
from tests.bot.test_media_cleaning import assert_no_metadata
from tests.bot.test_twilio_webhooks import (  # noqa: F401 (fixtures)
    HODAN, ROKEYA, Resident, _build, _dispose, app, choose_language, client, fake, walk_to_description,
)
from tests.helpers import dump_every_table

_ = i18n.translations("en").gettext
REFUSAL = _("That file is too big, or of a kind we can't keep. Please send a photo or a short voice message, "
            "or type instead.")
PRIVACY_QUESTION = _("How private should your report be?")


def _kept(tmp_path) -> list:
    media_dir = tmp_path / "media"
    return sorted(media_dir.iterdir()) if media_dir.exists() else []


def _at_the_description(client, fake, number: str = HODAN, channel: str = "sms") -> Resident:
    resident = Resident(client, fake, number, channel=channel)
    choose_language(resident, "en")
    walk_to_description(resident, "en")
    return resident


@pytest.mark.parametrize("channel, make, content_type, suffix", [
    ("sms", samples.jpeg_with_metadata, "image/jpeg", ".jpg"),  # MMS photos come as the camera saved them
    ("sms", samples.png_with_metadata, "image/png", ".png"),
    ("whatsapp", samples.webp_with_metadata, "image/webp", ".webp"),
    ("whatsapp", samples.jpeg_with_metadata, "image/jpeg", ".jpg"),
])
def test_a_photos_gps_camera_and_text_never_reach_the_disk_or_the_database(client, fake, tmp_path, database_url,
                                                                           channel, make, content_type, suffix):
    sent = make()
    resident = _at_the_description(client, fake, channel=channel)
    said = resident.send(NumMedia="1", MediaUrl0=fake.add_media(sent, content_type), MediaContentType0=content_type,
                         MessageType="image")
    assert PRIVACY_QUESTION in said
    [kept] = _kept(tmp_path)
    assert kept.suffix == suffix
    assert_no_metadata(kept.read_bytes())
    with Image.open(kept) as picture:
        assert picture.size == (48, 24)
    assert samples.MARKER not in repr(dump_every_table(database_url)).encode()


def test_an_mms_photo_taken_upright_is_kept_upright(client, fake, tmp_path):
    sent = samples.jpeg_with_metadata(orientation=8)
    resident = _at_the_description(client, fake)
    resident.send(NumMedia="1", MediaUrl0=fake.add_media(sent, "image/jpeg"), MediaContentType0="image/jpeg")
    [kept] = _kept(tmp_path)
    picture = Image.open(io.BytesIO(kept.read_bytes()))
    assert picture.size == (24, 48) and dict(picture.getexif()) == {}
    red = picture.convert("RGB").getpixel((12, 44))
    assert red[0] > 180 and red[2] < 80


@pytest.mark.parametrize("make, content_type, suffix", [
    (samples.iso_media, "audio/mp4", ".m4a"),  # an iPhone recording, named after the street it was made in
    (lambda: samples.iso_media(b"3gp4"), "audio/3gpp", ".3gp"),  # an Android MMS voice message
    (samples.ogg_opus, "audio/ogg", ".ogg"),  # a WhatsApp voice note
    (samples.mp3, "audio/mpeg", ".mp3"),
])
def test_a_voice_notes_tags_location_and_times_never_reach_the_disk(client, fake, tmp_path, make, content_type,
                                                                     suffix):
    sent = make()
    resident = _at_the_description(client, fake, channel="whatsapp")
    said = resident.send(NumMedia="1", MediaUrl0=fake.add_media(sent, content_type), MediaContentType0=content_type,
                         MessageType="audio")
    assert PRIVACY_QUESTION in said
    [kept] = _kept(tmp_path)
    assert kept.suffix == suffix
    assert samples.MARKER in sent and samples.MARKER not in kept.read_bytes()
    assert samples.RECORDED not in kept.read_bytes()


def _truncated_jpeg() -> bytes:
    content = samples.jpeg_with_metadata(480, 240)
    return content[: len(content) // 2]


@pytest.mark.parametrize("content, content_type", [
    (b"<!doctype html><script>alert(document.cookie)</script>", "image/jpeg"),  # HTML that says it is a JPEG
    (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF", "image/jpeg"),
    (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "image/svg+xml"),
    (samples.png_claiming(100_000, 100_000), "image/png"),  # a decompression bomb
    (samples.png_claiming(8_000, 6_000), "image/png"),  # more pixels than MEDIA_PHOTO_MAX_PIXELS
    (_truncated_jpeg(), "image/jpeg"),
    (samples.gif(), "image/gif"),
    (samples.png_with_metadata(), "image/jpeg"),  # a real picture, but not what the message says it is
    (samples.iso_media(b"3gp4", handlers=(b"soun", b"vide")), "audio/3gpp"),  # a video, not a voice note
])
def test_forged_broken_and_other_files_get_the_polite_refusal_and_nothing_is_stored(
        client, fake, tmp_path, database_url, content, content_type):
    resident = _at_the_description(client, fake)
    said = resident.send(NumMedia="1", MediaUrl0=fake.add_media(content, content_type),
                         MediaContentType0=content_type)
    assert REFUSAL in said and PRIVACY_QUESTION not in said
    assert _kept(tmp_path) == []
    assert dump_every_table(database_url)["reportmedia"] == []


def test_a_refused_file_beside_a_good_one_leaves_only_the_good_one_cleaned(client, fake, tmp_path):
    resident = _at_the_description(client, fake)
    good = samples.jpeg_with_metadata()
    said = resident.send(NumMedia="2", MediaUrl0=fake.add_media(b"<html>not a photo</html>", "image/jpeg"),
                         MediaContentType0="image/jpeg", MediaUrl1=fake.add_media(good, "image/jpeg"),
                         MediaContentType1="image/jpeg")
    assert PRIVACY_QUESTION in said
    [kept] = _kept(tmp_path)
    assert_no_metadata(kept.read_bytes())


def test_the_size_limits_are_settings(database_url, fake, tmp_path):
    app = _build(database_url, fake, tmp_path, media_photo_max_bytes=1000, media_voice_max_bytes=1000)
    try:
        resident = _at_the_description(app.test_client(), fake, number=ROKEYA)
        large = samples.jpeg_with_metadata()  # about 1.9 kB
        said = resident.send(NumMedia="1", MediaUrl0=fake.add_media(large, "image/jpeg"), MediaContentType0="image/jpeg")
        assert REFUSAL in said and _kept(tmp_path) == []
        small = samples.ogg_opus()  # about 230 bytes
        said = resident.send(NumMedia="1", MediaUrl0=fake.add_media(small, "audio/ogg"), MediaContentType0="audio/ogg")
        assert PRIVACY_QUESTION in said and len(_kept(tmp_path)) == 1
    finally:
        _dispose(app)
