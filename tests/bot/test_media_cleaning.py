"""What is kept of a resident's photo or voice note: its pixels or its sound, and nothing that could say
where it was taken, on what device or by whom; anything that cannot be read through is refused, never a crash."""
from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mutagen.mp3 import MP3
from mutagen.oggopus import OggOpus
from PIL import Image

from bot.media import (
    DEFAULT_LIMITS, MEDIA_TYPES, CleanMedia, MediaLimits, MediaRefused, clean_photo, media_to_keep, sniff_media_type,
)
from bot.settings import Settings
from tests import media_samples as samples
from tests.media_samples import BLUE, MARKER, RED


def _picture(content: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(content))
    picture.load()
    return picture


def _close_to(pixel, colour, tolerance: int = 24) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour))


def assert_no_metadata(content: bytes) -> None:
    """Nothing but pixels: no marker in the raw bytes, and Pillow finds no EXIF, profile, text or XMP."""
    assert MARKER not in content
    picture = _picture(content)
    assert dict(picture.getexif()) == {}
    assert not set(picture.info) & {"exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment", "Author",
                                    "Description", "Comment", "photoshop", "dpi"}
    for marker in (b"Exif", b"ICC_PROFILE", b"http://ns.adobe.com/xap", b"Photoshop 3.0", b"tEXt", b"iTXt",
                   b"zTXt", b"eXIf", b"iCCP", b"XMP ", b"ICCP", b"EXIF"):
        assert marker not in content, marker


@pytest.mark.parametrize("make, extension, pillow_format", [
    (samples.jpeg_with_metadata, ".jpg", "JPEG"),
    (samples.png_with_metadata, ".png", "PNG"),
    (samples.webp_with_metadata, ".webp", "WEBP"),
])
def test_a_photo_keeps_its_pixels_and_format_and_loses_every_piece_of_metadata(make, extension, pillow_format):
    sent = make()
    assert sum(marker in sent for marker in samples.MARKERS) >= 4, "the sample carries the metadata"
    assert _picture(sent).getexif().get_ifd(samples.GPS_IFD), "and a GPS position"
    kept = media_to_keep(sent)
    assert (kept.kind, kept.extension) == ("photo", extension)
    assert_no_metadata(kept.content)
    picture = _picture(kept.content)
    assert picture.format == pillow_format and picture.size == (48, 24)
    assert _close_to(picture.convert("RGB").getpixel((4, 12)), RED)
    assert _close_to(picture.convert("RGB").getpixel((44, 12)), BLUE)


@pytest.mark.parametrize("orientation, size, red_at, blue_at", [
    (1, (48, 24), (4, 12), (44, 12)),  # as taken
    (3, (48, 24), (44, 12), (4, 12)),  # upside down
    (6, (24, 48), (12, 4), (12, 44)),  # phone held upright: the camera's left is the picture's top
    (8, (24, 48), (12, 44), (12, 4)),
])
def test_a_photo_is_turned_the_way_its_exif_says_before_the_exif_is_dropped(orientation, size, red_at, blue_at):
    kept = _picture(media_to_keep(samples.jpeg_with_metadata(orientation=orientation)).content)
    assert kept.size == size
    assert _close_to(kept.getpixel(red_at), RED) and _close_to(kept.getpixel(blue_at), BLUE)
    assert dict(kept.getexif()) == {}


@pytest.mark.parametrize("mode", ["L", "RGBA", "P", "1", "LA", "I;16"])
def test_pngs_of_every_mode_are_kept_as_pngs_without_metadata(mode):
    kept = media_to_keep(samples.png_with_metadata(mode=mode))
    assert kept.extension == ".png"
    assert_no_metadata(kept.content)
    assert _picture(kept.content).size == (48, 24)


def test_a_cmyk_jpeg_is_kept_as_rgb():
    out = io.BytesIO()
    samples.two_colour_picture().convert("CMYK").save(out, "JPEG", exif=samples.camera_exif())
    kept = _picture(media_to_keep(out.getvalue()).content)
    assert kept.mode == "RGB" and _close_to(kept.getpixel((4, 12)), RED, tolerance=40)


def _truncated_jpeg() -> bytes:
    content = samples.jpeg_with_metadata(480, 240, quality=95)
    return content[: len(content) * 2 // 3]


@pytest.mark.parametrize("content, reason", [
    (samples.png_claiming(100_000, 100_000), "too large"),  # past Pillow's own bomb limit
    (samples.png_claiming(8_000, 6_000), "too large"),  # 48 million pixels: past ours, not Pillow's
    (samples.png_claiming(0, 10), "not a picture"),
    (_truncated_jpeg(), "not a picture"),
    (samples.animated_png(), "moving picture"),
    (samples.gif(), "not an accepted type"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "not an accepted type"),
    (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj", "not an accepted type"),
    (b"<html><body><img src=x onerror=alert(1)></body></html>", "not an accepted type"),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "not an accepted type"),  # an iPhone's HEIC
    (b"\xff\xd8\xff\xe0" + bytes(300), "not a picture"),  # a JPEG's first bytes and nothing of a picture
    (b"\x89PNG\r\n\x1a\n" + b"<html>" * 20, "not a picture"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(50), "not a picture"),
])
def test_bombs_broken_files_and_other_kinds_are_refused(content, reason):
    with pytest.raises(MediaRefused, match=reason):
        media_to_keep(content)


def test_an_html_file_said_to_be_a_jpeg_is_refused_by_its_bytes():
    with pytest.raises(MediaRefused):
        media_to_keep(b"<!doctype html><h1>hello</h1>", declared_type="image/jpeg")


def test_a_real_jpeg_said_to_be_something_else_is_refused():
    with pytest.raises(MediaRefused, match="not audio/ogg"):
        media_to_keep(samples.jpeg_with_metadata(), declared_type="audio/ogg")
    assert media_to_keep(samples.jpeg_with_metadata(), declared_type="image/jpg").extension == ".jpg"


def _plain_png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    samples.two_colour_picture(width, height).save(out, "PNG")
    return out.getvalue()


def test_the_pixel_and_byte_limits_are_the_settings():
    limits = MediaLimits.from_settings(Settings.from_env({"SECRET_KEY": "x", "MEDIA_PHOTO_MAX_PIXELS": "1000",
                                                          "MEDIA_PHOTO_MAX_BYTES": "900",
                                                          "MEDIA_VOICE_MAX_BYTES": "5_000"}))
    assert limits == MediaLimits(photo_max_bytes=900, voice_max_bytes=5000, photo_max_pixels=1000)
    assert media_to_keep(_plain_png(40, 25), limits=limits)  # exactly 1,000 pixels
    with pytest.raises(MediaRefused, match="too large"):
        media_to_keep(_plain_png(41, 25), limits=limits)
    with pytest.raises(MediaRefused, match="too large"):
        media_to_keep(samples.jpeg_with_metadata(), limits=limits)  # 1,885 bytes
    with pytest.raises(MediaRefused, match="too large"):
        media_to_keep(samples.mp3(frames=12), limits=limits)  # 6 kB of voice note
    assert limits.largest == 5000


@pytest.mark.parametrize("name", ["MEDIA_PHOTO_MAX_PIXELS", "MEDIA_PHOTO_MAX_BYTES", "MEDIA_VOICE_MAX_BYTES"])
@pytest.mark.parametrize("value", ["0", "-5", "5MB", "1e6"])
def test_a_limit_that_is_not_a_whole_number_stops_start_up(name, value):
    with pytest.raises(ValueError, match=name):
        Settings.from_env({"SECRET_KEY": "x", name: value})


def test_the_default_limits():
    settings = Settings()
    assert MediaLimits.from_settings(settings) == DEFAULT_LIMITS
    assert DEFAULT_LIMITS == MediaLimits(5 * 1024 * 1024, 10 * 1024 * 1024, 40_000_000)


# --- voice notes ---------------------------------------------------------------------------------------

def test_an_ogg_opus_voice_note_keeps_its_sound_and_loses_its_tags():
    sent = samples.ogg_opus()
    assert b"MARKER-TITLE" in sent
    kept = media_to_keep(sent)
    assert (kept.kind, kept.extension) == ("voice", ".ogg")
    assert MARKER not in kept.content
    recording = OggOpus(io.BytesIO(kept.content))
    assert list(recording.tags) == [] and recording.info.length == pytest.approx(0.2)
    assert kept.content.count(samples.OPUS_SILENCE) >= 10


def test_an_mp3_keeps_its_frames_and_loses_its_id3_tags():
    kept = media_to_keep(samples.mp3())
    assert kept.extension == ".mp3" and MARKER not in kept.content and not kept.content.startswith(b"ID3")
    assert kept.content == samples.mp3(tagged=False)
    assert MP3(io.BytesIO(kept.content)).tags is None


@pytest.mark.parametrize("brand, extension", [(b"M4A ", ".m4a"), (b"3gp4", ".3gp"), (b"3gp5", ".3gp")])
def test_mp4_and_3gp_sound_keeps_its_layout_with_the_tag_and_location_boxes_blanked(brand, extension):
    sent = samples.iso_media(brand)
    assert b"MARKER-GPS" in sent and b"MARKER-TITLE" in sent and b"MARKER-TRACKNAME" in sent
    kept = media_to_keep(sent)
    assert (kept.kind, kept.extension) == ("voice", extension)
    assert MARKER not in kept.content and b"loci" not in kept.content and b"udta" not in kept.content
    assert samples.RECORDED not in kept.content and samples.RECORDED in sent  # when it was recorded
    assert b"uuid" not in kept.content  # XMP
    assert len(kept.content) == len(sent)  # no offset in the file moved
    assert kept.content[-264:] == sent[-264:]  # the sound itself (mdat) as it was


@pytest.mark.parametrize("content", [
    samples.iso_media(b"M4A ", handlers=(b"soun", b"vide")),  # a video with sound
    samples.iso_media(b"3gp4", handlers=(b"vide",)),
    samples.iso_media(b"M4A ", handlers=()),  # no track at all
    samples.iso_media()[:-100],  # cut short: the last box runs past the end
    b"OggS" + bytes(100),  # an Ogg page's first bytes and nothing of a recording
    samples.ogg_opus()[:40],
    b"OggS\x00\x02" + bytes(200),
    b"ID3\x04\x00\x00" + bytes(50),
])
def test_video_and_broken_recordings_are_refused(content):
    with pytest.raises(MediaRefused):
        media_to_keep(content)


@pytest.mark.parametrize("unknown_sizes", [False, True])
def test_a_webm_recording_keeps_its_layout_and_sound_with_title_date_and_tags_blanked(unknown_sizes):
    """The web chat's recordings (MediaRecorder): Chrome writes none of these, but another writer may, and a
    file a client sends is not trusted to be Chrome's."""
    sent = samples.webm_opus(unknown_sizes=unknown_sizes)
    assert b"MARKER-TITLE" in sent and b"MARKER-TRACKNAME" in sent and b"MARKER-ARTIST" in sent
    kept = media_to_keep(sent, declared_type="audio/webm")
    assert (kept.kind, kept.extension) == ("voice", ".webm")
    assert MARKER not in kept.content and samples.WEBM_DATE not in kept.content
    assert len(kept.content) == len(sent)  # no offset in the file moved (SeekHead and Cues point at them)
    assert kept.content.count(samples.OPUS_SILENCE) == 10 and b"A_OPUS" in kept.content and b"OpusHead" in kept.content
    assert b"Chrome" not in kept.content  # MuxingApp and WritingApp: free text no player needs


@pytest.mark.parametrize("content", [
    samples.webm_opus(video=True),  # a video with sound
    samples.webm_opus()[:-30],  # cut short inside the last element
    samples.webm_opus(tagged=False).replace(b"A_OPUS", b"A_FLAC"),  # a codec no recorder of ours writes
    samples.webm_opus(tagged=False).replace(b"webm", b"mkv\x00"),  # another DocType
])
def test_webm_that_is_not_a_sound_recording_or_is_broken_is_refused(content):
    with pytest.raises(MediaRefused):
        media_to_keep(content)


def test_amr_is_kept_as_it_is_having_no_room_for_tags():
    kept = media_to_keep(samples.AMR)
    assert (kept.extension, kept.content) == (".amr", samples.AMR)


def test_every_accepted_type_has_a_sample_that_is_kept():
    kept = {sniff_media_type(sample) for sample in (
        samples.jpeg_with_metadata(), samples.png_with_metadata(), samples.webp_with_metadata(), samples.ogg_opus(),
        samples.mp3(), samples.AMR, samples.iso_media(), samples.iso_media(b"3gp4"), samples.webm_opus())
        if isinstance(media_to_keep(sample), CleanMedia)}
    assert kept == set(MEDIA_TYPES)


# --- hostile bytes -------------------------------------------------------------------------------------

SAMPLES = [samples.jpeg_with_metadata(), samples.png_with_metadata(), samples.webp_with_metadata(),
           samples.ogg_opus(), samples.mp3(), samples.AMR, samples.iso_media(), samples.iso_media(b"3gp4"),
           samples.jpeg_with_metadata(orientation=6), samples.webm_opus(), samples.webm_opus(unknown_sizes=True)]
PREFIXES = [b"", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF\x00\x00\x00\x00WEBP", b"OggS", b"#!AMR\n", b"ID3",
            b"\xff\xfb", b"\x00\x00\x00\x18ftypM4A ", b"\x00\x00\x00\x18ftyp3gp4", samples.webm_opus(tagged=False)[:48]]


def _never_crashes_nor_leaks(content: bytes) -> None:
    try:
        kept = media_to_keep(content)
    except MediaRefused:
        return
    assert kept.kind in ("photo", "voice")
    assert MARKER not in kept.content
    if kept.kind == "photo":
        assert_no_metadata(kept.content)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=st.sampled_from(PREFIXES), rest=st.binary(max_size=2048))
def test_random_bytes_are_kept_cleanly_or_refused_and_nothing_else(prefix, rest):
    _never_crashes_nor_leaks(prefix + rest)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sample=st.sampled_from(SAMPLES), data=st.data())
def test_damaged_real_files_are_kept_cleanly_or_refused_and_nothing_else(sample, data):
    """A real file with bytes changed, cut short or cut into: what fuzzers find in image decoders."""
    damaged = bytearray(sample)
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(damaged) - 1))
        action = data.draw(st.sampled_from(["flip", "cut", "insert", "zero"]))
        if action == "flip":
            damaged[at] = data.draw(st.integers(0, 255))
        elif action == "cut":
            del damaged[at:]
            if not damaged:
                break
        elif action == "insert":
            damaged[at:at] = data.draw(st.binary(min_size=1, max_size=64))
        else:
            damaged[at:at + 4] = bytes(len(damaged[at:at + 4]))
    _never_crashes_nor_leaks(bytes(damaged))


def test_clean_photo_refuses_content_of_another_format_than_its_extension():
    with pytest.raises(MediaRefused):
        clean_photo(samples.png_with_metadata(), extension=".jpg")


def test_round_file_times_sets_each_file_to_its_own_hour_or_to_the_hour_given(tmp_path):
    """A kept file's modification time is a clock reading: forgetting a resident rounds each file down to the
    hour it was written in; an anonymous report's files take the report's own hour. A file already gone
    (retention) is passed over."""
    import os
    from datetime import datetime, timezone

    from bot.media import round_file_times

    first, second = tmp_path / "a.jpg", tmp_path / "b.ogg"
    for path in (first, second):
        path.write_bytes(b"x")
    written = datetime(2026, 12, 5, 14, 37, 21, 500_000, tzinfo=timezone.utc).timestamp()
    os.utime(first, (written, written))
    os.utime(second, (written, written))

    round_file_times(["a.jpg", "gone.jpg"], media_dir=str(tmp_path))
    assert first.stat().st_mtime == datetime(2026, 12, 5, 14, tzinfo=timezone.utc).timestamp()
    assert second.stat().st_mtime == written  # not named: untouched

    report_hour = datetime(2026, 12, 5, 9, tzinfo=timezone.utc)
    round_file_times(["b.ogg"], media_dir=str(tmp_path), hour=report_hour)
    assert second.stat().st_mtime == report_hour.timestamp()
