"""The message that takes the ward panel digest to residents coming to the meeting: pure, like the other
notices (flows/notices.py); bot/digest_send.py queues it once per resident, in their language."""
from __future__ import annotations

from flows.notices import _Words
from flows.types import Reply


def digest_link_notice(lang: str, *, title: str, url: str) -> tuple[Reply, ...]:
    """"Before the meeting, here is what residents raised and what was done", with the link."""
    words = _Words(lang)
    # TRANSLATORS: sent to residents coming to a ward panel (or waiting for a place) with a link to its printable
    # digest. %(title)s is the meeting's title; %(url)s is the web address; keep it exactly as it is.
    text = words._("Before %(title)s: see what residents in your ward reported, what was done and what is still "
                   "open, and the items residents asked the meeting to discuss: %(url)s", title=title, url=url)
    return words.reply(text)
