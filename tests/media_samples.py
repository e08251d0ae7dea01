"""Real photos and voice notes for the tests, made here, carrying metadata a phone would put in them (GPS,
camera, serial number, times, text chunks, tags), each value with a MARKER in it so a test can search a
kept file's raw bytes for any of it."""
from __future__ import annotations

import io
import struct
import zlib

from mutagen.id3 import ID3, TIT2, TPE1
from mutagen.ogg import OggPage
from PIL import Image, ImageCms, PngImagePlugin

MARKER = b"MARKER"  # every metadata value below contains it; no pixel or sound data does
MARKERS = [b"MARKER-MAKE", b"MARKER-MODEL", b"MARKER-SERIAL", b"MARKER-GPS", b"MARKER-COMMENT", b"MARKER-XMP",
           b"MARKER-IPTC", b"MARKER-ICC", b"MARKER-TEXT", b"MARKER-ITXT", b"MARKER-ZTXT", b"MARKER-DATE"]

RED, BLUE = (220, 20, 20), (20, 20, 220)

# EXIF tags (https://exiftool.org/TagNames/EXIF.html)
MAKE, MODEL, ORIENTATION, EXIF_IFD, GPS_IFD = 0x010F, 0x0110, 0x0112, 0x8769, 0x8825
DATE_TIME_ORIGINAL, BODY_SERIAL_NUMBER = 0x9003, 0xA431
GPS_LATITUDE_REF, GPS_LATITUDE, GPS_LONGITUDE_REF, GPS_LONGITUDE, GPS_AREA_INFORMATION = 1, 2, 3, 4, 28


def two_colour_picture(width: int = 48, height: int = 24) -> Image.Image:
    """Left half red, right half blue: which way it was turned shows after it is kept."""
    picture = Image.new("RGB", (width, height), BLUE)
    picture.paste(Image.new("RGB", (width // 2, height), RED), (0, 0))
    return picture


def camera_exif(orientation: int = 1) -> Image.Exif:
    """EXIF as a phone camera writes it: make, model, serial, time taken and a GPS position in Stepney."""
    exif = Image.Exif()
    exif[MAKE] = "MARKER-MAKE Phone"
    exif[MODEL] = "MARKER-MODEL 12"
    exif[ORIENTATION] = orientation
    details = exif.get_ifd(EXIF_IFD)
    details[BODY_SERIAL_NUMBER] = "MARKER-SERIAL-0042"
    details[DATE_TIME_ORIGINAL] = "2024:05:01 23:10:00"
    gps = exif.get_ifd(GPS_IFD)
    gps[GPS_LATITUDE_REF] = "N"
    gps[GPS_LATITUDE] = (51.0, 31.0, 12.34)
    gps[GPS_LONGITUDE_REF] = "W"
    gps[GPS_LONGITUDE] = (0.0, 2.0, 45.6)
    gps[GPS_AREA_INFORMATION] = "MARKER-GPS Ben Jonson Road"
    return exif


def icc_profile() -> bytes:
    """A real sRGB profile with a device's name after it (bytes past the profile's declared size, which
    readers ignore: where a phone's profile would name the device)."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes() + b"MARKER-ICC device 7"


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def jpeg_with_metadata(width: int = 48, height: int = 24, *, orientation: int = 1, quality: int = 95) -> bytes:
    """A camera JPEG: EXIF with GPS, a comment, an ICC profile, XMP and IPTC (Photoshop APP13)."""
    out = io.BytesIO()
    two_colour_picture(width, height).save(out, "JPEG", quality=quality, exif=camera_exif(orientation),
                                            comment=b"MARKER-COMMENT", icc_profile=icc_profile())
    content = out.getvalue()
    xmp = _segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><rdf:Description exif:GPSLatitude="
                         b"'51,31.2N' photoshop:City='MARKER-XMP London'/></x:xmpmeta>")
    iptc_record = b"\x1c\x02\x5a" + struct.pack(">H", 17) + b"MARKER-IPTC Bow E"  # 2:90 City
    iptc = _segment(0xED, b"Photoshop 3.0\x008BIM\x04\x04\x00\x00" + struct.pack(">I", len(iptc_record))
                    + iptc_record)
    return content[:2] + xmp + iptc + content[2:]


def png_with_metadata(width: int = 48, height: int = 24, *, mode: str = "RGB") -> bytes:
    """A PNG with tEXt, iTXt and zTXt chunks, eXIf (GPS) and an iCCP profile."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "MARKER-TEXT Someone")
    info.add_itxt("Description", "MARKER-ITXT taken at home", lang="en", tkey="Description")
    info.add_text("Comment", "MARKER-ZTXT " * 20, zip=True)
    out = io.BytesIO()
    two_colour_picture(width, height).convert(mode).save(out, "PNG", pnginfo=info, exif=camera_exif(),
                                                         icc_profile=icc_profile())
    return out.getvalue()


def webp_with_metadata(width: int = 48, height: int = 24) -> bytes:
    """A WebP with EXIF (GPS), XMP and an ICC profile."""
    out = io.BytesIO()
    two_colour_picture(width, height).save(out, "WEBP", quality=90, exif=camera_exif(),
                                            xmp=b"<x:xmpmeta photoshop:City='MARKER-XMP'/>", icc_profile=icc_profile())
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A few hundred bytes of PNG whose header claims width x height pixels (a decompression bomb's shape)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    # One compressed row of zeros per… none: the size alone must refuse it before anything is decoded.
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(width + 1)))
            + chunk(b"IEND", b""))


def animated_png() -> bytes:
    out = io.BytesIO()
    frames = [Image.new("RGB", (8, 8), RED), Image.new("RGB", (8, 8), BLUE)]
    frames[0].save(out, "PNG", save_all=True, append_images=frames[1:])
    return out.getvalue()


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), RED).save(out, "GIF")
    return out.getvalue()


# --- voice notes ---------------------------------------------------------------------------------------

OPUS_SILENCE = b"\xf8\xff\xfe"  # one 20 ms Opus frame of silence (CELT, full band)


def ogg_opus(*, comments: tuple[str, ...] = ("TITLE=MARKER-TITLE 3 Ben Jonson Rd", "ARTIST=MARKER-ARTIST"),
             frames: int = 10) -> bytes:
    """An Ogg Opus voice note as Telegram and WhatsApp send them, with Vorbis-comment tags."""
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, 312, 48000, 0, 0)
    vendor = b"libopus 1.4"
    tags = b"OpusTags" + struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", len(comments))
    for comment in comments:
        tags += struct.pack("<I", len(comment.encode())) + comment.encode()
    pages = []
    for sequence, (packets, position) in enumerate([([head], 0), ([tags], 0),
                                                    ([OPUS_SILENCE] * frames, 312 + 960 * frames)]):
        page = OggPage()
        page.serial, page.sequence, page.position, page.packets = 0x5AFE, sequence, position, packets
        page.first, page.last = sequence == 0, sequence == 2
        pages.append(page.write())
    return b"".join(pages)


def mp3(*, frames: int = 12, tagged: bool = True) -> bytes:
    """MPEG-1 layer III frames (128 kbit/s, 44.1 kHz, silent) with ID3 title and artist tags."""
    frame = b"\xff\xfb\x90\x64" + bytes(417 - 4)
    audio = frame * frames
    if not tagged:
        return audio
    tags = ID3()
    tags.add(TIT2(encoding=3, text="MARKER-TITLE recording"))
    tags.add(TPE1(encoding=3, text="MARKER-ARTIST"))
    out = io.BytesIO(audio)
    tags.save(out)
    return out.getvalue()


AMR = b"#!AMR\n" + (b"\x3c" + bytes(31)) * 25  # half a second of 12.2 kbit/s AMR-NB frames


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload) + 8) + kind + payload


def _track(handler: bytes) -> bytes:
    hdlr = _box(b"hdlr", bytes(4) + bytes(4) + handler + bytes(12) + b"MARKER-HANDLER\x00")
    udta = _box(b"udta", _box(b"\xa9nam", b"MARKER-TRACKNAME"))
    return _box(b"trak", _box(b"tkhd", bytes(4) + RECORDED + bytes(76))
                + _box(b"mdia", _box(b"mdhd", bytes(4) + RECORDED + bytes(12)) + hdlr) + udta)


# 1 May 2024 23:10:00 UTC as MP4 writes it (seconds since 1904), twice: created and modified.
RECORDED = struct.pack(">II", 3_797_536_200, 3_797_536_200)


def iso_media(brand: bytes = b"M4A ", handlers: tuple[bytes, ...] = (b"soun",)) -> bytes:
    """An MP4 or 3GP file: ftyp, moov with one track per handler and the tag boxes phones write (udta with
    an iTunes-style title and 3GPP's location box, a moov-level meta), then mdat."""
    ftyp = _box(b"ftyp", brand + bytes(4) + brand + b"isom")
    meta = _box(b"meta", bytes(4) + _box(b"hdlr", bytes(8) + b"mdir" + bytes(13))
                + _box(b"ilst", _box(b"\xa9nam", _box(b"data", bytes(8) + b"MARKER-TITLE Home 3"))))
    loci = _box(b"loci", bytes(4) + b"\x15\xc7" + b"MARKER-GPS place\x00" + struct.pack(">hii", 0, 3379, -2140))
    xmp = _box(b"uuid", bytes.fromhex("be7acfcb97a942e89c71999491e3afac") + b"<x:xmpmeta>MARKER-XMP</x:xmpmeta>")
    moov = _box(b"moov", _box(b"mvhd", bytes(4) + RECORDED + bytes(88)) + b"".join(_track(handler) for handler in handlers)
                + _box(b"udta", loci + meta))
    return ftyp + xmp + moov + _box(b"mdat", b"\x21\x10\x04\x60" * 64)


# --- WebM: what the web chat's MediaRecorder sends -----------------------------------------------------

def _ebml_id(element: int) -> bytes:
    return element.to_bytes((element.bit_length() + 7) // 8, "big")


def _ebml(element: int, payload: bytes = b"", *, unknown_size: bool = False) -> bytes:
    """One EBML element; its size in eight bytes, as browsers write it (all ones: unknown, a live stream)."""
    size = (1 << 57) - 1 if unknown_size else (1 << 56) | len(payload)
    return _ebml_id(element) + size.to_bytes(8, "big") + payload


def _uint(element: int, value: int) -> bytes:
    return _ebml(element, value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


# 1 May 2024 23:10:00 UTC as Matroska's DateUTC writes it: nanoseconds since 2001-01-01.
WEBM_DATE = struct.pack(">q", 736_297_800 * 1_000_000_000)


def webm_opus(*, tagged: bool = True, unknown_sizes: bool = False, video: bool = False, frames: int = 10) -> bytes:
    """A WebM voice note as Chrome's and Firefox's MediaRecorder write it: the EBML header, a Segment with a
    SeekHead, Info, one Opus track and a Cluster of 20 ms SimpleBlocks (silence). `tagged` adds what other
    Matroska writers put in: a Title, the DateUTC it was made, a track Name and a Tags element, each with a
    MARKER. `unknown_sizes`: the Segment and Cluster sizes left unknown, as a recording written in slices
    is. `video`: a second, video track (a video with sound)."""
    header = _ebml(0x1A45DFA3, _uint(0x4286, 1) + _uint(0x42F7, 1) + _uint(0x42F2, 4) + _uint(0x42F3, 8)
                   + _ebml(0x4282, b"webm") + _uint(0x4287, 4) + _uint(0x4285, 2))
    info = _uint(0x2AD7B1, 1_000_000) + _ebml(0x4D80, b"Chrome") + _ebml(0x5741, b"Chrome")
    if tagged:
        info += _ebml(0x7BA9, b"MARKER-TITLE 3 Ben Jonson Rd") + _ebml(0x4461, WEBM_DATE)
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, 312, 48000, 0, 0)
    audio = (_uint(0xD7, 1) + _uint(0x73C5, 0x5AFE) + _uint(0x83, 2) + _ebml(0x86, b"A_OPUS") + _ebml(0x63A2, head)
             + _ebml(0xE1, _ebml(0xB5, struct.pack(">f", 48000.0)) + _uint(0x9F, 1)))
    if tagged:
        audio += _ebml(0x536E, b"MARKER-TRACKNAME")
    tracks = _ebml(0xAE, audio)
    if video:
        tracks += _ebml(0xAE, _uint(0xD7, 2) + _uint(0x73C5, 7) + _uint(0x83, 1) + _ebml(0x86, b"V_VP8"))
    blocks = b"".join(_ebml(0xA3, b"\x81" + struct.pack(">h", 20 * n) + b"\x80" + OPUS_SILENCE) for n in range(frames))
    cluster = _ebml(0x1F43B675, _uint(0xE7, 0) + blocks, unknown_size=unknown_sizes)
    body = _ebml(0x114D9B74, _ebml(0x4DBB, _ebml(0x53AB, _ebml_id(0x1549A966)) + _uint(0x53AC, 0)))
    body += _ebml(0x1549A966, info) + _ebml(0x1654AE6B, tracks) + cluster
    if tagged:
        body += _ebml(0x1254C367, _ebml(0x7373, _ebml(0x67C8, _ebml(0x45A3, b"ARTIST") + _ebml(0x4487, b"MARKER-ARTIST"))))
    return header + _ebml(0x18538067, body, unknown_size=unknown_sizes)
