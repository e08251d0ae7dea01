"""The sending channels this installation has credentials for."""
from __future__ import annotations

from bot.channels.base import Channel
from bot.settings import Settings


def configured_channels(settings: Settings) -> dict[str, Channel]:
    channels: dict[str, Channel] = {}
    if settings.telegram_bot_token:
        from bot.channels.telegram import TelegramChannel

        channels["telegram"] = TelegramChannel(settings)
    if settings.twilio_account_sid and settings.twilio_auth_token:
        from bot.channels.twilio import TwilioChannel

        if settings.twilio_whatsapp_number:
            channels["whatsapp"] = TwilioChannel(settings, "whatsapp")
        if settings.twilio_sms_number:
            channels["sms"] = TwilioChannel(settings, "sms")
    return channels
