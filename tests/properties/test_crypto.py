"""Identity at rest, for any value at all: sealed values open to exactly what was sealed and to nothing once
touched, under the key that sealed them or after re-sealing; keyed hashes are stable, distinct, and say
nothing of the address they stand for."""
from __future__ import annotations

import re

import pytest
from cryptography.fernet import InvalidToken
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from storage.crypto import KeyRing, Sealer, keyed_hash

CHANNELS = ("telegram", "whatsapp", "sms", "webchat")
keys = st.text(min_size=32, max_size=64)
# What gets sealed or hashed: phone numbers, chat ids, web chat sessions, names typed in any script.
values = st.text() | st.from_regex(r"\+44[0-9]{10}", fullmatch=True) | st.integers(-2**63, 2**63).map(str)
# Surrogates cannot be encoded: the channels refuse them before anything is sealed (tests/properties/test_webhooks.py).
values = values.filter(lambda value: not re.search(r"[\ud800-\udfff]", value))
FAST = settings(max_examples=200, deadline=None)


@FAST
@given(keys, values)
def test_a_sealed_value_opens_to_itself_and_does_not_show_it(key, value):
    sealer = Sealer(key)
    token = sealer.seal(value)
    assert sealer.open(token) == value
    assert sealer.open_with_key_index(token) == (0, value)
    if len(value) >= 6:
        assert value not in token
    assert sealer.seal(value) != token  # a fresh IV each time: equal values do not look equal at rest


@FAST
@given(keys, keys, values)
def test_after_a_rotation_a_resealed_value_opens_with_the_new_key_alone(old, new, value):
    assume(old != new)
    token = Sealer(old).seal(value)
    during = Sealer(new, (old,))
    assert during.open(token) == value and during.open_with_key_index(token) == (1, value)
    moved = during.reseal(token)
    assert Sealer(new).open(moved) == value and during.open_with_key_index(moved) == (0, value)
    with pytest.raises(InvalidToken):
        Sealer(old).open(moved)
    with pytest.raises(InvalidToken):
        Sealer(new).open(token)  # the old key dropped too early: nothing old opens


@FAST
@given(keys, values, st.data())
def test_a_touched_token_opens_to_nothing(key, value, data):
    sealer = Sealer(key)
    token = sealer.seal(value)
    at = data.draw(st.integers(0, len(token) - 1))
    replacement = data.draw(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_="))
    assume(token[at] != replacement)
    touched = token[:at] + replacement + token[at + 1:]
    assert sealer.open_with_key_index(touched) is None or sealer.open_with_key_index(touched) == (0, value)
    # Base64 padding bits aside, a changed character is a changed token, and a changed token never opens to
    # another value: authenticated encryption, not merely encryption.


@FAST
@given(keys, st.sampled_from(CHANNELS), values)
def test_a_keyed_hash_is_stable_hex_and_not_the_address(key, channel, address):
    digest = keyed_hash(key, channel, address)
    assert digest == keyed_hash(key, channel, address) == KeyRing(key).address_hash(channel, address)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    if len(address) >= 4:
        assert address not in digest


@FAST
@given(keys, st.sampled_from(CHANNELS), values, st.sampled_from(CHANNELS), values)
def test_distinct_addresses_have_distinct_hashes(key, channel, address, other_channel, other_address):
    assume((channel, address) != (other_channel, other_address))
    assert keyed_hash(key, channel, address) != keyed_hash(key, other_channel, other_address)


@FAST
@given(keys, keys, st.sampled_from(CHANNELS), values, st.integers(1, 2**31))
def test_another_key_or_a_superseded_contact_never_shares_a_hash(key, other_key, channel, address, contact_id):
    assume(key != other_key)
    ring = KeyRing(key, (other_key,))
    assert ring.address_hash(channel, address) != keyed_hash(other_key, channel, address)
    assert ring.previous_address_hashes(channel, address) == (keyed_hash(other_key, channel, address),)
    superseded = ring.superseded_hash(channel, address, contact_id)
    assert superseded not in (ring.address_hash(channel, address), *ring.previous_address_hashes(channel, address))
