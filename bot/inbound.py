"""The common path of every webhook: answer the message, commit, then send the replies at once."""
from __future__ import annotations

from typing import Optional

from flask import current_app

import flows
from bot.conversations import Answered, converse


def answer_and_deliver(
    *, channel: str, address: str, inbound: flows.Inbound, provider_message_id: Optional[str],
    opting_out: bool = False, quiet: bool = False,
) -> Answered:
    """Run the conversation for one inbound message; deliver its replies right after the commit.

    A redelivered webhook (same provider id) answers `duplicate` and nothing else happens; so does a
    message past the contact's flood limit (`flooded`), but for one polite reply. If sending fails here,
    the outbox keeps the messages and the worker retries them.
    """
    deliverer = current_app.extensions["safer_homes.deliverer"]
    answered = converse(
        current_app.extensions["safer_homes.engine"],
        current_app.extensions["safer_homes.settings"],
        channel=channel,
        address=address,
        inbound=inbound,
        now=current_app.extensions["safer_homes.clock"](),
        sender=deliverer.channels[channel],
        provider_message_id=provider_message_id,
        opting_out=opting_out,
        quiet=quiet,
        channels=deliverer.channels,
        flood=current_app.extensions["safer_homes.flood"],
    )
    if answered.outbox_ids:
        deliverer.deliver_now(answered.outbox_ids)
    return answered
