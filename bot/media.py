"""The photos and voice notes residents send, for every channel: which we keep, how large, and how each is stored."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

from flows.types import Media


@dataclass(frozen=True)
class MediaType:
    kind: str  # as flows.types.Media has it: "photo" | "voice"
    extension: str


# What we keep, by the type the content turns out to be: a sender's or provider's declared type is not trusted.
MEDIA_TYPES = {
    "image/jpeg": MediaType("photo", ".jpg"),
    "image/png": MediaType("photo", ".png"),
    "audio/ogg": MediaType("voice", ".ogg"),  # WhatsApp and Telegram voice notes (Opus)
    "audio/mpeg": MediaType("voice", ".mp3"),
    "audio/amr": MediaType("voice", ".amr"),  # voice notes recorded on older phones, sent by MMS
}

# The most we keep of one file, by kind; larger is someone sending the wrong file, and it fills the disk that
# holds reports. Every app re-encodes photos far below 5 MB (WhatsApp's own image limit), and 10 MB is over
# half an hour of a voice note at the rates the apps record. One set for every channel, so a resident gets
# the same answer whichever app they use.
PHOTO_MAX_BYTES = 5 * 1024 * 1024
VOICE_MAX_BYTES = 10 * 1024 * 1024
MAX_BYTES = {"photo": PHOTO_MAX_BYTES, "voice": VOICE_MAX_BYTES}

_NAME_BYTES = 16  # random bytes in a kept file's name: it must not be guessable from a report or a chat


class MediaRefused(Exception):
    """A photo or voice note we do not keep: too large, not a type we accept, or not to be had from the channel."""


def sniff_media_type(content: bytes) -> Optional[str]:
    """The accepted type `content` really is, from its first bytes, or None."""
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"OggS"):
        return "audio/ogg"
    if content.startswith(b"#!AMR"):  # "#!AMR\n", or "#!AMR-WB\n" for wideband
        return "audio/amr"
    if content.startswith(b"ID3") or _mpeg_audio_frame(content):
        return "audio/mpeg"
    return None


def _mpeg_audio_frame(content: bytes) -> bool:
    # An MP3 without an ID3 tag starts with a frame header: 11 sync bits, then a version and a layer that are
    # not the reserved values (which also tells it apart from AAC's ADTS header, whose layer is always 0).
    if len(content) < 2 or content[0] != 0xFF or content[1] & 0xE0 != 0xE0:
        return False
    version, layer = (content[1] >> 3) & 0b11, (content[1] >> 1) & 0b11
    return version != 0b01 and layer != 0b00


def accepted_media(content: bytes, *, declared_type: Optional[str] = None) -> MediaType:
    """How `content` is kept; MediaRefused when it is not a type we accept, not the type declared for it,
    or over its kind's size limit."""
    content_type = sniff_media_type(content)
    if content_type is None:
        raise MediaRefused("content is not an accepted type")
    if declared_type and declared_type != content_type:
        raise MediaRefused(f"content is not {declared_type}")
    media_type = MEDIA_TYPES[content_type]
    if len(content) > MAX_BYTES[media_type.kind]:
        raise MediaRefused("too large")
    return media_type


def keep_media(content: bytes, *, extension: str, media_dir: str) -> str:
    """Write `content` to a new file with a random name in `media_dir`, readable by this service's user
    only (the directory is made if missing); returns the file's name, which is the media id."""
    directory = Path(media_dir)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / f"{secrets.token_hex(_NAME_BYTES)}{extension}"
    # O_EXCL: never write into a file that is already there, whoever made it.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as kept:
            kept.write(content)
    except BaseException:
        path.unlink(missing_ok=True)  # half a photo is of no use to anyone
        raise
    return path.name


def discard_media(media: Iterable[Media], *, media_dir: str) -> None:
    """Remove files kept for a message that turned out not to need them (a redelivery)."""
    for item in media:
        (Path(media_dir) / item.media_id).unlink(missing_ok=True)
