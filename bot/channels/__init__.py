"""One adapter per channel: turns replies into the channel's API payloads and sends them.

A channel's differences (buttons or numbered choices, maximum length, media, pacing) live in its
adapter as capabilities; the flows never ask which channel they are on.
"""
