"""The photos and voice notes residents send, for every channel: which we keep, how large, what is taken out
of them before they are written down, and how each is stored."""
from __future__ import annotations

import io
import os
import secrets
import struct
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Optional

from mutagen.apev2 import delete as delete_ape_tags
from mutagen.mp3 import MP3
from mutagen.ogg import OggPage
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from PIL import Image, ImageCms, ImageOps

from flows.types import Media
from storage.types import hour_of


@dataclass(frozen=True)
class MediaType:
    kind: str  # as flows.types.Media has it: "photo" | "voice"
    extension: str


# What we keep, by the type the content turns out to be: a sender's or provider's declared type is not trusted.
MEDIA_TYPES = {
    "image/jpeg": MediaType("photo", ".jpg"),
    "image/png": MediaType("photo", ".png"),
    "image/webp": MediaType("photo", ".webp"),  # WhatsApp sends some pictures (and stickers) as WebP
    "audio/ogg": MediaType("voice", ".ogg"),  # WhatsApp and Telegram voice notes (Opus)
    "audio/mpeg": MediaType("voice", ".mp3"),  # Telegram's audio files
    "audio/amr": MediaType("voice", ".amr"),  # voice notes recorded on older phones, sent by MMS or WhatsApp
    "audio/mp4": MediaType("voice", ".m4a"),  # WhatsApp audio files and iPhone recordings (AAC in MP4)
    "audio/3gpp": MediaType("voice", ".3gp"),  # Android's MMS voice messages (AMR or AAC in 3GP)
    "audio/webm": MediaType("voice", ".webm"),  # the web chat's recordings (Chrome's and Firefox's MediaRecorder)
}

# Other names the channels use for the same types (a declared type only refuses a file; it never accepts one).
DECLARED_TYPES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "audio/opus": "audio/ogg",
                  "audio/x-m4a": "audio/mp4", "audio/m4a": "audio/mp4", "audio/amr-nb": "audio/amr",
                  "audio/amr-wb": "audio/amr", "audio/mp3": "audio/mpeg", "audio/3gp": "audio/3gpp"}

# The most we keep of one file, by kind; larger is someone sending the wrong file, and it fills the disk that
# holds reports. Every app re-encodes photos far below 5 MB (WhatsApp's own image limit), and 10 MB is over
# half an hour of a voice note at the rates the apps record. One set for every channel, so a resident gets
# the same answer whichever app they use. Settings can change them (MEDIA_PHOTO_MAX_BYTES and the rest).
PHOTO_MAX_BYTES = 5 * 1024 * 1024
VOICE_MAX_BYTES = 10 * 1024 * 1024
MAX_BYTES = {"photo": PHOTO_MAX_BYTES, "voice": VOICE_MAX_BYTES}
# A photo is decoded before it is kept, and a few kilobytes of PNG can claim a picture of billions of pixels
# (a "decompression bomb"). 40 million pixels is more than any phone sends through these apps (WhatsApp and
# Telegram scale to a few million; a 48 MP camera saves 12 MP by default) and decodes in about 120 MB.
PHOTO_MAX_PIXELS = 40_000_000
JPEG_QUALITY = 85  # what the apps themselves send at; the eye does not see the difference at a phone's size
WEBP_QUALITY = 85

_NAME_BYTES = 16  # random bytes in a kept file's name: it must not be guessable from a report or a chat


@dataclass(frozen=True)
class MediaLimits:
    """How large a photo or voice note may be (bytes, and a photo's pixels), from Settings."""

    photo_max_bytes: int = PHOTO_MAX_BYTES
    voice_max_bytes: int = VOICE_MAX_BYTES
    photo_max_pixels: int = PHOTO_MAX_PIXELS

    @classmethod
    def from_settings(cls, settings) -> "MediaLimits":
        return cls(settings.media_photo_max_bytes, settings.media_voice_max_bytes, settings.media_photo_max_pixels)

    def max_bytes(self, kind: str) -> int:
        return self.photo_max_bytes if kind == "photo" else self.voice_max_bytes

    @property
    def largest(self) -> int:
        """What a download may fetch before its kind is known."""
        return max(self.photo_max_bytes, self.voice_max_bytes)


DEFAULT_LIMITS = MediaLimits()


class MediaRefused(Exception):
    """A photo or voice note we do not keep: too large, not a type we accept, or not to be had from the channel."""


@dataclass(frozen=True)
class CleanMedia:
    """A photo or voice note as it is to be kept: its bytes with the metadata taken out, and its type."""

    content: bytes
    kind: str
    extension: str


def sniff_media_type(content: bytes) -> Optional[str]:
    """The accepted type `content` really is, from its first bytes, or None."""
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    if content.startswith(b"OggS"):
        return "audio/ogg"
    if content.startswith(b"#!AMR"):  # "#!AMR\n", or "#!AMR-WB\n" for wideband
        return "audio/amr"
    if content.startswith(b"ID3") or _mpeg_audio_frame(content):
        return "audio/mpeg"
    if content.startswith(_EBML_MAGIC) and _ebml_doc_type(content) == b"webm":
        return "audio/webm"
    if content[4:8] == b"ftyp":
        brand = content[8:12]
        if brand in _MP4_AUDIO_BRANDS:
            return "audio/mp4"
        if brand in _3GPP_BRANDS:
            return "audio/3gpp"
    return None


# ISO media files by their major brand. Only those that are audio by name or that MMS uses for voice
# messages; whichever the brand, a file with anything but sound tracks is refused (_iso_audio_only).
_MP4_AUDIO_BRANDS = {b"M4A ", b"M4B "}
_3GPP_BRANDS = {b"3gp4", b"3gp5", b"3gp6", b"3gp7", b"3g2a", b"3g2b", b"3g2c"}


def _mpeg_audio_frame(content: bytes) -> bool:
    # An MP3 without an ID3 tag starts with a frame header: 11 sync bits, then a version and a layer that are
    # not the reserved values (which also tells it apart from AAC's ADTS header, whose layer is always 0).
    if len(content) < 2 or content[0] != 0xFF or content[1] & 0xE0 != 0xE0:
        return False
    version, layer = (content[1] >> 3) & 0b11, (content[1] >> 1) & 0b11
    return version != 0b01 and layer != 0b00


def accepted_media(content: bytes, *, declared_type: Optional[str] = None,
                   limits: MediaLimits = DEFAULT_LIMITS) -> MediaType:
    """How `content` is kept; MediaRefused when it is not a type we accept, not the type declared for it,
    or over its kind's size limit. Only its first bytes are read: clean_media reads the rest."""
    content_type = sniff_media_type(content)
    if content_type is None:
        raise MediaRefused("content is not an accepted type")
    declared_type = DECLARED_TYPES.get(declared_type, declared_type)
    if declared_type and declared_type != content_type:
        raise MediaRefused(f"content is not {declared_type}")
    media_type = MEDIA_TYPES[content_type]
    if len(content) > limits.max_bytes(media_type.kind):
        raise MediaRefused("too large")
    return media_type


def media_to_keep(content: bytes, *, declared_type: Optional[str] = None,
                  limits: MediaLimits = DEFAULT_LIMITS) -> CleanMedia:
    """What to write down of a file a resident sent: accepted by its bytes (accepted_media), then photos
    decoded and encoded again with nothing but their pixels, and voice notes without their tags.
    MediaRefused for anything else, and for any file that cannot be read through."""
    media_type = accepted_media(content, declared_type=declared_type, limits=limits)
    if media_type.kind == "photo":
        cleaned = clean_photo(content, extension=media_type.extension, limits=limits)
    else:
        cleaned = clean_voice_note(content, extension=media_type.extension)
    return CleanMedia(cleaned, media_type.kind, media_type.extension)


# --- photos --------------------------------------------------------------------------------------------

# The Pillow format each extension must decode as (decided by the bytes: Pillow is told to try only this
# one). An MPO is a JPEG with a second picture after it (phones' portrait depth maps): its first is kept.
_PHOTO_FORMATS = {".jpg": ("JPEG", {"JPEG", "MPO"}), ".png": ("PNG", {"PNG"}), ".webp": ("WEBP", {"WEBP"})}


def clean_photo(content: bytes, *, extension: str, limits: MediaLimits = DEFAULT_LIMITS) -> bytes:
    """The photo's pixels alone, upright, in the format it came in.

    Nothing of the file but its pixels is written again: EXIF (GPS position, camera make, model and serial
    number, the time it was taken), XMP, IPTC, comments, PNG text chunks and the ICC colour profile (which
    can name the device) all stay behind. The EXIF orientation is applied first so the picture is not on
    its side, and colours in another profile are converted to sRGB, which every screen assumes.

    GIF, HEIC, TIFF, SVG and the rest are refused rather than converted: the apps send photos as JPEG (an
    iPhone's HEIC is converted on the phone), a GIF is an animation Telegram sends as video, and each
    extra decoder is more code reading a stranger's bytes. Moving pictures (APNG, animated WebP) likewise.
    """
    pillow_format, formats_read = _PHOTO_FORMATS[extension]
    try:
        # Image.open reads the header only; the size is checked before a single pixel is decoded.
        with Image.open(io.BytesIO(content), formats=[pillow_format]) as image:
            if image.format not in formats_read:
                raise MediaRefused(f"content is not {pillow_format}")
            width, height = image.size
            if width < 1 or height < 1 or width * height > limits.photo_max_pixels:
                raise MediaRefused("too large")
            if image.format != "MPO" and getattr(image, "n_frames", 1) > 1:
                raise MediaRefused("a moving picture")
            upright = ImageOps.exif_transpose(image)  # decodes every pixel: a truncated file fails here
            pixels = _pixels_only(upright, pillow_format)
        kept = io.BytesIO()
        if pillow_format == "JPEG":
            pixels.save(kept, "JPEG", quality=JPEG_QUALITY)
        elif pillow_format == "PNG":
            pixels.save(kept, "PNG")
        else:
            pixels.save(kept, "WEBP", quality=WEBP_QUALITY)
    except MediaRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise MediaRefused("too large") from None  # past Pillow's own limit, which is above ours
    except Exception as error:
        # Pillow reading a hostile or broken file can fail in many ways (OSError for a truncated file,
        # SyntaxError, ValueError, DecompressionBombError and, under warnings-as-errors, its warnings);
        # every one of them means the same to the resident: a file we cannot keep.
        raise MediaRefused(f"not a picture we can read ({type(error).__name__})") from None
    # Encoded again a photo is about its old size; far larger would be a picture made to fill the disk.
    if kept.tell() > 2 * limits.photo_max_bytes:
        raise MediaRefused("too large")
    return kept.getvalue()


def _pixels_only(image: Image.Image, pillow_format: str) -> Image.Image:
    """A new image holding `image`'s pixels (in sRGB, in a mode `pillow_format` can save) and nothing else:
    a fresh Image has an empty info dict, so no profile, text or EXIF can ride along into the saved file."""
    image = _to_srgb(image)
    if pillow_format == "JPEG":
        mode = "L" if image.mode in ("1", "L") else "RGB"
    elif image.mode in ("1", "L") and pillow_format == "PNG":
        mode = "L"
    elif image.mode in ("LA", "RGBA", "PA") or "transparency" in image.info:
        mode = "RGBA"
    else:
        mode = "RGB"
    converted = image.convert(mode)
    clean = Image.new(mode, converted.size)
    clean.paste(converted)
    return clean


_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _to_srgb(image: Image.Image) -> Image.Image:
    """`image` converted from the colour profile it carries to sRGB, so leaving the profile out does not
    change its colours; as it is when it has none, or one LittleCMS cannot use."""
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        return ImageCms.profileToProfile(image, ImageCms.ImageCmsProfile(io.BytesIO(profile)), _SRGB,
                                         outputMode="RGBA" if image.mode == "RGBA" else "RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image


# --- voice notes ---------------------------------------------------------------------------------------

def clean_voice_note(content: bytes, *, extension: str) -> bytes:
    """The voice note without its tags.

    No phone records a position into a voice note, but tags can say more than the sound: a title (an
    iPhone names recordings after the street it is on), the time, the artist (the owner's name) and the
    encoder. MP4's own headers also say to the second when it was recorded. Ogg and MP3 tags are removed
    with mutagen; in MP4 and 3GP files every box a player does not need
    (udta and meta with the tags and 3GPP's location, uuid with XMP) is overwritten as padding ("free"), so
    no offset in the file moves, and the creation times and track names are zeroed.
    AMR has no room for anything but sound. The Ogg encoder's vendor string stays (Opus requires one);
    it names the app's library, as every file made by that app does. WebM (the web chat's recordings) keeps
    only the elements a player needs, as MP4 does (_webm_audio_only).
    """
    try:
        if extension in (".ogg", ".mp3"):
            return _without_tags(content, extension)
        if extension in (".m4a", ".3gp"):
            return _iso_audio_only(content)
        if extension == ".webm":
            return _webm_audio_only(content)
        return content
    except MediaRefused:
        raise
    except Exception as error:  # mutagen and the box walk reading a hostile file, as for photos
        raise MediaRefused(f"not a recording we can read ({type(error).__name__})") from None


def _without_tags(content: bytes, extension: str) -> bytes:
    if extension == ".ogg":
        _whole_ogg_pages(content)  # mutagen reads pages without checking them; a broken one is refused here
    kinds = [MP3] if extension == ".mp3" else [OggOpus, OggVorbis]
    file = io.BytesIO(content)
    for kind in kinds:
        file.seek(0)
        try:
            recording = kind(file)
        except Exception:
            continue
        file.seek(0)
        recording.delete(file)
        if extension == ".mp3":
            file.seek(0)
            delete_ape_tags(file)
        cleaned = file.getvalue()
        if extension == ".ogg":
            _whole_ogg_pages(cleaned)
        elif not _mpeg_audio_frame(cleaned):
            # A tag whose stated size was shorter than the tag leaves the rest of it in front of the sound.
            raise MediaRefused("an MP3 tag of the wrong size")
        return cleaned
    raise MediaRefused("not an Opus, Vorbis or MP3 recording")


def _whole_ogg_pages(content: bytes) -> None:
    """MediaRefused unless `content` is Ogg pages end to end, each with its checksum right (a page written
    again by mutagen comes out byte for byte the same), so no bytes hide between or inside pages."""
    file = io.BytesIO(content)
    while file.tell() < len(content):
        start = file.tell()
        page = OggPage(file)
        if page.write() != content[start:file.tell()]:
            raise MediaRefused("a broken Ogg page")


# The boxes a player needs, by the box they sit in (ISO/IEC 14496-12); every other box there (udta and meta
# with their tags and 3GPP's location, uuid with XMP, anything unknown) is overwritten as padding. Boxes
# inside minf (the sample tables) are kept whole: they hold offsets and sizes, not words.
_KEPT_BOXES = {
    None: {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide"},
    b"moov": {b"mvhd", b"trak", b"mvex", b"free", b"skip"},
    b"trak": {b"tkhd", b"mdia", b"edts", b"tref", b"free", b"skip"},
    b"mdia": {b"mdhd", b"hdlr", b"minf", b"free", b"skip"},
}
_CONTAINERS = {b"moov", b"trak", b"mdia"}
_TIMED_BOXES = {b"mvhd", b"tkhd", b"mdhd"}


def _iso_audio_only(content: bytes) -> bytes:
    """An MP4 or 3GP file with its tag boxes blanked; MediaRefused unless it has sound tracks and only those."""
    cleaned = bytearray(content)
    handlers: list[bytes] = []
    _walk_boxes(cleaned, 0, len(cleaned), handlers, parent=None)
    if not handlers or any(handler != b"soun" for handler in handlers):
        raise MediaRefused("not a sound recording")
    return bytes(cleaned)


def _walk_boxes(data: bytearray, start: int, end: int, handlers: list[bytes], *, parent: Optional[bytes]) -> None:
    position = start
    while position < end:
        if end - position < 8:
            raise MediaRefused("a broken MP4 box")
        size, kind = struct.unpack(">I4s", data[position:position + 8])
        header = 8
        if size == 1:
            if end - position < 16:
                raise MediaRefused("a broken MP4 box")
            size, header = struct.unpack(">Q", data[position + 8:position + 16])[0], 16
        elif size == 0:
            size = end - position
        if size < header or position + size > end:
            raise MediaRefused("a broken MP4 box")
        if kind not in _KEPT_BOXES[parent]:
            data[position + 4:position + 8] = b"free"
            data[position + header:position + size] = bytes(size - header)
        elif kind in _CONTAINERS:
            _walk_boxes(data, position + header, position + size, handlers, parent=kind)
        elif kind == b"hdlr":
            # FullBox: version and flags (4), pre_defined (4), the handler type (4), reserved (12), a name
            # (free text, which goes: a player does not read it).
            handlers.append(bytes(data[position + header + 8:position + header + 12]))
            data[position + header + 24:position + size] = bytes(max(0, size - header - 24))
        elif kind in _TIMED_BOXES and size >= header + 20:
            # FullBox: version and flags, then when it was made and last changed (seconds since 1904, 32 bits
            # in version 0, 64 in version 1): to the second when the resident recorded it, so they go.
            width = 16 if data[position + header] == 1 else 8
            data[position + header + 4:position + header + 4 + width] = bytes(width)
        position += size


# WebM is Matroska's subset for the web (https://www.matroska.org/technical/elements.html): EBML elements, each
# an ID, a size and its data. What browsers record is one Opus track: a header, then a Segment with Info,
# Tracks and Clusters of sound. Kept: the elements a player needs, by the element they sit in; every other
# one (Tags, Attachments, Chapters, a Title, a DateUTC to the nanosecond, a track's Name, anything unknown)
# is overwritten as a Void element of the same length, so no offset in the file moves (SeekHead and Cues
# point at positions). Inside a SimpleBlock is sound only. MuxingApp and WritingApp go too, though the spec
# asks for them: they are free text any program can fill, and no player reads them.
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_SEGMENT, _CLUSTER, _VOID = 0x18538067, 0x1F43B675, 0xEC
_TRACK_ENTRY, _TRACK_TYPE, _CODEC_ID, _DOC_TYPE = 0xAE, 0x83, 0x86, 0x4282
_TRACK_TYPE_AUDIO = 2
_WEBM_KEPT = {
    None: {0x1A45DFA3, _SEGMENT, _VOID},
    0x1A45DFA3: {0x4286, 0x42F7, 0x42F2, 0x42F3, _DOC_TYPE, 0x4287, 0x4285, _VOID},  # the EBML header
    # SeekHead, Info, Tracks, Cluster, Cues
    _SEGMENT: {0x114D9B74, 0x1549A966, 0x1654AE6B, _CLUSTER, 0x1C53BB6B, _VOID},
    0x114D9B74: {0x4DBB, _VOID},  # Seek
    0x4DBB: {0x53AB, 0x53AC},  # SeekID, SeekPosition
    0x1549A966: {0x2AD7B1, 0x4489, _VOID},  # TimestampScale, Duration
    0x1654AE6B: {_TRACK_ENTRY, _VOID},
    # TrackNumber, TrackUID, TrackType, FlagEnabled, FlagDefault, FlagForced, FlagLacing, DefaultDuration, CodecID,
    # CodecPrivate (OpusHead: channels and rates), CodecDelay, SeekPreRoll, Audio
    _TRACK_ENTRY: {0xD7, 0x73C5, _TRACK_TYPE, 0xB9, 0x88, 0x55AA, 0x9C, 0x23E383, _CODEC_ID, 0x63A2, 0x56AA, 0x56BB,
                   0xE1, _VOID},
    0xE1: {0xB5, 0x78B5, 0x9F, 0x6264},  # SamplingFrequency, OutputSamplingFrequency, Channels, BitDepth
    # Timestamp, SimpleBlock, BlockGroup, Position, PrevSize
    _CLUSTER: {0xE7, 0xA3, 0xA0, 0xA7, 0xAB, _VOID},
    0xA0: {0xA1, 0x9B, 0xFB, 0x75A2},  # Block, BlockDuration, ReferenceBlock, DiscardPadding
    0x1C53BB6B: {0xBB},  # CuePoint
    0xBB: {0xB3, 0xB7},  # CueTime, CueTrackPositions
    0xB7: {0xF7, 0xF1, 0xF0, 0x5378},  # CueTrack, CueClusterPosition, CueRelativePosition, CueBlockNumber
}
# Elements holding other elements; the rest hold a value (a number, a string, binary).
_WEBM_CONTAINERS = {key for key in _WEBM_KEPT if key is not None}
_WEBM_CODECS = {b"A_OPUS", b"A_VORBIS"}
_UNKNOWN_SIZE = -1


def _ebml_number(data, position: int, *, is_id: bool) -> tuple[int, int]:
    """An EBML variable-length integer at `position`: (its value, its length in bytes). An ID keeps its
    length marker (IDs are written as such); a size loses it, and all ones means "unknown" (a live stream)."""
    if position >= len(data) or data[position] == 0:
        raise MediaRefused("a broken WebM element")
    first = data[position]
    length = 9 - first.bit_length()
    if position + length > len(data):
        raise MediaRefused("a broken WebM element")
    value = int.from_bytes(data[position:position + length], "big")
    if is_id:
        return value, length
    value &= (1 << (7 * length)) - 1
    return (_UNKNOWN_SIZE if value == (1 << (7 * length)) - 1 else value), length


def _ebml_doc_type(content: bytes) -> Optional[bytes]:
    """The DocType the EBML header names ("webm", "matroska"), or None when it cannot be read."""
    try:
        header_id, id_length = _ebml_number(content, 0, is_id=True)
        size, size_length = _ebml_number(content, id_length, is_id=False)
        position = id_length + size_length
        end = position + size
        if size == _UNKNOWN_SIZE or end > len(content):
            return None
        while position < end:
            element, id_length = _ebml_number(content, position, is_id=True)
            size, size_length = _ebml_number(content, position + id_length, is_id=False)
            start = position + id_length + size_length
            if size == _UNKNOWN_SIZE or start + size > end:
                return None
            if element == _DOC_TYPE:
                return bytes(content[start:start + size]).rstrip(b"\x00")
            position = start + size
    except MediaRefused:
        return None
    return None


def _webm_audio_only(content: bytes) -> bytes:
    """A WebM recording with everything but its sound and what plays it blanked; MediaRefused unless it is
    sound tracks only (Opus or Vorbis) and its elements are whole from end to end."""
    cleaned = bytearray(content)
    tracks: list[tuple[Optional[int], Optional[bytes]]] = []
    _walk_webm(cleaned, 0, len(cleaned), tracks, parent=None)
    if not tracks or any(kind != _TRACK_TYPE_AUDIO or codec not in _WEBM_CODECS for kind, codec in tracks):
        raise MediaRefused("not a sound recording")
    return bytes(cleaned)


def _walk_webm(data: bytearray, start: int, end: int, tracks: list, *, parent: Optional[int]) -> int:
    """Walk the elements of `parent` from `start` to `end`, blanking what is not kept; returns where they
    ended. A Segment or Cluster of unknown size (a recording written as it was made) ends at the end of the
    file, or for a Cluster where an element that cannot be in it begins."""
    position = start
    while position < end:
        element, id_length = _ebml_number(data, position, is_id=True)
        if parent == _CLUSTER and element not in _WEBM_KEPT[_CLUSTER] and element in _WEBM_KEPT[_SEGMENT]:
            return position  # the next Cluster (or Cues) of a Segment whose Clusters have no size
        size, size_length = _ebml_number(data, position + id_length, is_id=False)
        body = position + id_length + size_length
        if size == _UNKNOWN_SIZE:
            if element not in (_SEGMENT, _CLUSTER):
                raise MediaRefused("a WebM element of unknown size")
            if element == _CLUSTER and parent != _SEGMENT:
                raise MediaRefused("a WebM cluster out of place")
            position = _walk_webm(data, body, end, tracks, parent=element)
            continue
        if body + size > end:
            raise MediaRefused("a broken WebM element")
        if element not in _WEBM_KEPT.get(parent, ()):
            _void(data, position, body + size)
        elif element == _TRACK_ENTRY:
            tracks.append(_track_of(data, body, body + size))
            _walk_webm(data, body, body + size, tracks, parent=element)
        elif element in _WEBM_CONTAINERS:
            _walk_webm(data, body, body + size, tracks, parent=element)
        elif element == _VOID:
            data[body:body + size] = bytes(size)  # padding says nothing, whatever was put in it
        position = body + size
    if position != end:
        raise MediaRefused("a broken WebM element")
    return position


def _track_of(data: bytearray, start: int, end: int) -> tuple[Optional[int], Optional[bytes]]:
    """A TrackEntry's type (2 for sound) and codec id."""
    kind = codec = None
    position = start
    while position < end:
        element, id_length = _ebml_number(data, position, is_id=True)
        size, size_length = _ebml_number(data, position + id_length, is_id=False)
        body = position + id_length + size_length
        if size == _UNKNOWN_SIZE or body + size > end:
            raise MediaRefused("a broken WebM track")
        if element == _TRACK_TYPE:
            kind = int.from_bytes(data[body:body + size], "big")
        elif element == _CODEC_ID:
            codec = bytes(data[body:body + size]).rstrip(b"\x00")
        position = body + size
    return kind, codec


def _void(data: bytearray, start: int, end: int) -> None:
    """Overwrite the element at start..end with a Void element of the same length, its data zeros."""
    length = end - start
    # A one-byte size holds up to 126; past that an eight-byte one (an element that long has room for it).
    size_length = 1 if length - 2 <= 126 else 8
    size = length - 1 - size_length
    marker = 1 << (7 * size_length)  # the length marker bit in front of the size
    data[start] = _VOID
    data[start + 1:start + 1 + size_length] = (marker | size).to_bytes(size_length, "big")
    data[start + 1 + size_length:end] = bytes(size)


# --- keeping -------------------------------------------------------------------------------------------

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


def round_file_times(media_ids: Iterable[str], *, media_dir: str, hour: Optional[datetime] = None) -> None:
    """A file's modification time is a clock reading too: set each file's to `hour`, or to the start of the
    hour it was written in, as an anonymous report keeps its own times. A file already gone is skipped."""
    for media_id in media_ids:
        path = Path(media_dir) / media_id
        try:
            moment = hour or hour_of(datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc))
            os.utime(path, (moment.timestamp(), moment.timestamp()))
        except FileNotFoundError:
            continue  # deleted by retention or a redelivery meanwhile: nothing to round


def discard_media(media: Iterable[Media], *, media_dir: str) -> None:
    """Remove files kept for a message that turned out not to need them (a redelivery)."""
    for item in media:
        (Path(media_dir) / item.media_id).unlink(missing_ok=True)
