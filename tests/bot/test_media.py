"""What every channel keeps of a resident's photo or voice note: judged by its first bytes, held to its
kind's size limit, and stored under a random name only this service's user can read."""
from __future__ import annotations

import errno
import re
import stat

import pytest

from bot import media
from bot.media import (
    MAX_BYTES, MEDIA_TYPES, PHOTO_MAX_BYTES, VOICE_MAX_BYTES, MediaRefused, accepted_media, discard_media,
    keep_media, sniff_media_type,
)
from flows.types import Media

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(50)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(50)
OGG = b"OggS\x00\x02" + bytes(50)
MP3_TAGGED = b"ID3\x04\x00\x00" + bytes(50)
AMR = b"#!AMR\n" + bytes(50)
AMR_WB = b"#!AMR-WB\n" + bytes(50)


@pytest.mark.parametrize("content, expected", [
    (JPEG, "image/jpeg"),
    (PNG, "image/png"),
    (OGG, "audio/ogg"),
    (MP3_TAGGED, "audio/mpeg"),
    (b"\xff\xfb\x90\x64" + bytes(50), "audio/mpeg"),  # MPEG-1 layer III frame, no tag
    (b"\xff\xf3\x84\x64" + bytes(50), "audio/mpeg"),  # MPEG-2 layer III
    (b"\xff\xe3\x18\xc4" + bytes(50), "audio/mpeg"),  # MPEG-2.5 layer III
    (AMR, "audio/amr"),
    (AMR_WB, "audio/amr"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(50), "image/webp"),
    (b"\x00\x00\x00\x1cftypM4A " + bytes(50), "audio/mp4"),  # AAC in MP4 (an iPhone voice memo)
    (b"\x00\x00\x00\x1cftyp3gp4" + bytes(50), "audio/3gpp"),  # an Android MMS voice message
])
def test_each_accepted_type_is_known_by_its_first_bytes(content, expected):
    assert sniff_media_type(content) == expected
    assert expected in MEDIA_TYPES


@pytest.mark.parametrize("content", [
    b"",
    b"\xff",  # too short to be anything
    b"%PDF-1.7\n" + bytes(50),
    b"MZ\x90\x00" + bytes(50),  # a Windows program
    b"\x00\x00\x00\x18ftypmp42" + bytes(50),  # MP4 video
    b"\x00\x00\x00\x18ftypheic" + bytes(50),  # an iPhone photo before the phone converts it
    b"\xff\xf1\x50\x80" + bytes(50),  # AAC's ADTS header: MPEG sync bits, but layer 0
    b"\xff\xeb\x90\x64" + bytes(50),  # MPEG sync bits with the reserved version
    b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(50),  # a WAV: RIFF, but not WebP
    b"GIF89a" + bytes(50),
    b"<svg xmlns='http://www.w3.org/2000/svg'>",
    b"\xff\xd8",  # half a JPEG marker
    b"junk before OggS",  # a signature anywhere but the start does not count
])
def test_anything_else_is_not_an_accepted_type(content):
    assert sniff_media_type(content) is None
    with pytest.raises(MediaRefused):
        accepted_media(content)


def test_accepted_media_gives_the_kind_and_extension_it_is_kept_as():
    assert (accepted_media(JPEG).kind, accepted_media(JPEG).extension) == ("photo", ".jpg")
    assert (accepted_media(PNG).kind, accepted_media(PNG).extension) == ("photo", ".png")
    assert (accepted_media(OGG).kind, accepted_media(OGG).extension) == ("voice", ".ogg")
    assert (accepted_media(MP3_TAGGED).kind, accepted_media(MP3_TAGGED).extension) == ("voice", ".mp3")
    assert (accepted_media(AMR).kind, accepted_media(AMR).extension) == ("voice", ".amr")


def test_content_that_is_not_the_type_declared_for_it_is_refused():
    assert accepted_media(OGG, declared_type="audio/ogg").extension == ".ogg"
    with pytest.raises(MediaRefused, match="not image/jpeg"):
        accepted_media(OGG, declared_type="image/jpeg")


def test_each_kind_is_held_to_its_own_size_limit():
    assert MAX_BYTES == {"photo": PHOTO_MAX_BYTES, "voice": VOICE_MAX_BYTES}
    assert accepted_media(JPEG[:4] + bytes(PHOTO_MAX_BYTES - 4)).kind == "photo"
    with pytest.raises(MediaRefused, match="too large"):
        accepted_media(JPEG[:4] + bytes(PHOTO_MAX_BYTES - 3))
    assert accepted_media(OGG[:4] + bytes(VOICE_MAX_BYTES - 4)).kind == "voice"
    with pytest.raises(MediaRefused, match="too large"):
        accepted_media(OGG[:4] + bytes(VOICE_MAX_BYTES - 3))


def test_a_kept_file_is_readable_by_this_services_user_only_in_a_directory_made_for_it(tmp_path):
    media_dir = tmp_path / "var" / "media"
    name = keep_media(OGG, extension=".ogg", media_dir=str(media_dir))
    kept = media_dir / name
    assert kept.read_bytes() == OGG
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(media_dir.stat().st_mode) & 0o077 == 0


def test_kept_files_get_new_random_names_and_never_overwrite_one_another(tmp_path):
    names = [keep_media(JPEG, extension=".jpg", media_dir=str(tmp_path)) for _ in range(50)]
    assert len(set(names)) == 50
    assert all(re.fullmatch(r"[0-9a-f]{32}\.jpg", name) for name in names)
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(names)


class FullDisk:
    """An open file whose writes fail as they do when the disk is full."""

    def __init__(self, descriptor: int, mode: str):
        self.file = open(descriptor, mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.file.close()

    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_file_that_cannot_be_written_leaves_nothing_behind(tmp_path, monkeypatch):
    monkeypatch.setattr(media.os, "fdopen", FullDisk)
    with pytest.raises(OSError):
        keep_media(JPEG, extension=".jpg", media_dir=str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_discarding_removes_the_files_and_tolerates_ones_already_gone(tmp_path):
    kept = Media(media_id=keep_media(OGG, extension=".ogg", media_dir=str(tmp_path)), kind="voice")
    other = keep_media(JPEG, extension=".jpg", media_dir=str(tmp_path))
    discard_media([kept, Media(media_id="gone.ogg", kind="voice")], media_dir=str(tmp_path))
    assert [path.name for path in tmp_path.iterdir()] == [other]
