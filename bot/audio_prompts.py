"""The community recordings of prompts (flows/audio_prompts.py) that admins upload: checked, stripped of
their tags and kept as files, one per prompt and language, under MEDIA_DIR/audio_prompts.

A recording's file name carries a digest of its bytes (`main_menu.bn.<16 hex>.ogg`), so a message queued
with one recording names exactly that recording: a retry sends the same one, and its public address
(/audio/<file name>) can be cached for good. Replacing a recording writes the new file before removing
the old one; a message still queued for the old one is then refused (bot/channels say so) while its text
goes as usual. No database row: who uploaded what, and when, is in the staff audit log.
"""
from __future__ import annotations

import fcntl
import hashlib
import io
import os
import re
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Optional, Sequence

from mutagen.oggopus import OggOpus

from bot.media import MediaLimits, MediaRefused, media_to_keep
from flows.audio_prompts import AUDIO_PROMPTS, may_have_recording
from flows.types import Reply

SUBDIRECTORY = "audio_prompts"
# The formats every channel plays as a voice message: Telegram's sendVoice takes OGG/Opus, MP3 and M4A;
# WhatsApp (through Twilio) takes audio/ogg with Opus, audio/mpeg and audio/mp4; browsers play all three.
# AMR and 3GP, which residents' older phones send, are left out: Telegram would show them as files.
CONTENT_TYPES = {".ogg": "audio/ogg", ".mp3": "audio/mpeg", ".m4a": "audio/mp4"}
# A menu read aloud lasts under a minute; 3 MB is several minutes at the rates phones record, and under
# every channel's own limit (Telegram 50 MB, WhatsApp 16 MB, Twilio's 5 MB for a message's media).
MAX_BYTES = 3 * 1024 * 1024
_VERSION_HEX = 16
FILE_NAME = re.compile(r"(?P<prompt>[a-z_]{1,32})\.(?P<lang>[A-Za-z-]{2,16})\.(?P<version>[0-9a-f]{%d})"
                       r"(?P<extension>\.ogg|\.mp3|\.m4a)" % _VERSION_HEX)


@dataclass(frozen=True)
class Recording:
    prompt: str
    language: str
    file_name: str  # "<prompt>.<language>.<version><extension>": the public address's last part
    path: Path
    size: int

    @property
    def version(self) -> str:
        return FILE_NAME.fullmatch(self.file_name).group("version")

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.path.suffix]


def directory(media_dir: str) -> Path:
    return Path(media_dir) / SUBDIRECTORY


def find(media_dir: str, prompt: str, language: str) -> Optional[Recording]:
    """The recording kept for `prompt` in `language`, or None (nothing uploaded, or not a prompt and
    language the table allows: nothing outside it is ever looked for)."""
    if not may_have_recording(prompt, language):
        return None
    folder = directory(media_dir)
    try:
        names = [entry.name for entry in os.scandir(folder) if entry.is_file(follow_symlinks=False)]
    except FileNotFoundError:
        return None
    found = [name for name in names if (match := FILE_NAME.fullmatch(name))
             and match.group("prompt") == prompt and match.group("lang") == language]
    if not found:
        return None
    # Two at once only in the moment a replacement is written: the newer is the one being kept.
    newest = max(found, key=lambda name: (folder / name).stat().st_mtime_ns)
    return _recording(folder / newest)


def by_file_name(media_dir: str, file_name: str) -> Optional[Recording]:
    """The recording with exactly this file name, while it is the one kept; None for any other name."""
    match = FILE_NAME.fullmatch(file_name or "")
    if match is None:
        return None
    current = find(media_dir, match.group("prompt"), match.group("lang"))
    return current if current is not None and current.file_name == file_name else None


def every_recording(media_dir: str) -> dict[tuple[str, str], Optional[Recording]]:
    """Each prompt and language that may have a recording, in the table's order, with the one kept."""
    return {(prompt.key, language): find(media_dir, prompt.key, language)
            for prompt in AUDIO_PROMPTS.values() for language in prompt.languages}


def prepare(content: bytes) -> tuple[bytes, str]:
    """The bytes to keep of an uploaded file and their extension; MediaRefused (with the reason) for a file
    that is not a recording every channel plays, or is too large. Its tags (a title, the recorder's name,
    when and where it was recorded) go, as for residents' voice notes (bot/media.py)."""
    if len(content) > MAX_BYTES:
        raise MediaRefused("too large")
    if not content:
        raise MediaRefused("empty")
    limits = MediaLimits(voice_max_bytes=MAX_BYTES)
    kept = media_to_keep(content, limits=limits)
    if kept.kind != "voice" or kept.extension not in CONTENT_TYPES:
        raise MediaRefused(f"not a format every channel plays ({kept.extension})")
    if kept.extension == ".ogg":
        # Vorbis in Ogg plays in a browser but neither Telegram nor WhatsApp takes it as a voice message.
        try:
            OggOpus(io.BytesIO(kept.content))
        except Exception:
            raise MediaRefused("Ogg without Opus") from None
    return kept.content, kept.extension


def save(media_dir: str, prompt: str, language: str, content: bytes) -> Recording:
    """Check and keep an uploaded recording for `prompt` in `language`, in place of any before it.
    MediaRefused for a file not to keep; LookupError for a prompt and language not in the table. Either
    way nothing on disk changes."""
    if not may_have_recording(prompt, language):
        raise LookupError(f"no recorded prompt {prompt!r} in {language!r}")
    cleaned, extension = prepare(content)
    version = hashlib.sha256(cleaned).hexdigest()[:_VERSION_HEX]
    with _locked(media_dir) as folder:
        final = folder / f"{prompt}.{language}.{version}{extension}"
        # Written under a name no reader matches, then renamed: a reader never sees half a recording.
        partial = folder / f".upload-{secrets.token_hex(8)}"
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as written:
                written.write(cleaned)
                written.flush()
                os.fsync(written.fileno())
            os.replace(partial, final)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        os.utime(final)  # the same bytes uploaded again are the newest too
        _remove_others(folder, prompt, language, keep=final.name)
    return _recording(final)


def remove(media_dir: str, prompt: str, language: str) -> Optional[Recording]:
    """Remove the recording kept for `prompt` in `language`; returns what was removed, None if nothing was."""
    if not may_have_recording(prompt, language):
        raise LookupError(f"no recorded prompt {prompt!r} in {language!r}")
    if find(media_dir, prompt, language) is None:
        return None  # nothing to remove: not even the folder is made
    with _locked(media_dir) as folder:
        current = find(media_dir, prompt, language)
        _remove_others(folder, prompt, language, keep=None)
    return current


def recordings_for(replies: Sequence[Reply], media_dir: str) -> list[Recording]:
    """The recordings a turn's replies go with, in order, each once: what a channel sends before the text."""
    found: list[Recording] = []
    for reply in replies:
        if reply.audio_prompt:
            recording = find(media_dir, reply.audio_prompt, reply.lang)
            if recording is not None and recording not in found:
                found.append(recording)
    return found


def public_path(recording: Recording) -> str:
    """Where anyone may fetch the recording (web/audio_prompts.py): no resident's data, cached for good."""
    return f"/audio/{recording.file_name}"


def url_finder(media_dir: str, base_url: str = "") -> Callable[[Reply], Optional[str]]:
    """For the web chat: a reply's recording's address (relative unless `base_url`), or None."""
    def audio_url(reply: Reply) -> Optional[str]:
        if not reply.audio_prompt:
            return None
        recording = find(media_dir, reply.audio_prompt, reply.lang)
        return base_url.rstrip("/") + public_path(recording) if recording else None

    return audio_url


def _recording(path: Path) -> Recording:
    match = FILE_NAME.fullmatch(path.name)
    return Recording(prompt=match.group("prompt"), language=match.group("lang"), file_name=path.name, path=path,
                     size=path.stat().st_size)


def _remove_others(folder: Path, prompt: str, language: str, *, keep: Optional[str]) -> None:
    for entry in os.scandir(folder):
        match = FILE_NAME.fullmatch(entry.name)
        if match and match.group("prompt") == prompt and match.group("lang") == language and entry.name != keep:
            Path(entry.path).unlink(missing_ok=True)


@contextmanager
def _locked(media_dir: str) -> Iterator[Path]:
    """The recordings' folder, made if missing, held against other uploads and removals (in any process on
    this machine) so two admins replacing one recording at once leave exactly one of theirs."""
    folder = directory(media_dir)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(folder / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield folder
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
