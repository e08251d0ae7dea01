"""A message over the length limit is refused whole even when direction marks make up part of it: the limit
is on what was sent (flows/engine.handle measures before the marks come out)."""
from __future__ import annotations

from tests.flows.helpers import Chat


def test_text_over_the_limit_only_with_its_direction_marks_is_still_refused_and_changes_nothing():
    chat = Chat()
    chat.send(choice="lang:ar")
    chat.send(choice="menu:report")
    before = dict(chat.state)
    limit = chat.context.max_text_length
    padded = ("x\u200f" * limit)[:limit + 1]  # over the limit as sent; about half of it without the marks
    chat.send(padded)
    assert chat.state == before
    assert len(chat.last) == 1 and chat.last[0].lang == "ar"
    assert "2000" in chat.last[0].text or "٢٠٠٠" in chat.last[0].text
