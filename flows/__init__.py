"""The conversation engine: pure functions from (inbound, state, context) to a Step.

Nothing in this package imports Flask, a channel SDK, the database or the clock (tests/flows/test_purity.py
enforces it). The caller in bot/ supplies the time and the lookups through Context, saves the new state,
carries out the intents and queues the replies, all in one transaction.
"""
from flows.engine import handle
from flows.types import Choice, Context, Inbound, Reply, Step

__all__ = ["handle", "Choice", "Context", "Inbound", "Reply", "Step"]
