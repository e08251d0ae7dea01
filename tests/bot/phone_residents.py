"""One resident on any of the four channels, through the real webhooks (or the web chat API) and the fake
provider APIs, behind one small interface: `say` text, `choose` a choice (tapping its button on Telegram,
typing its number on WhatsApp and SMS, sending its key on the web chat), and read what came back."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from flows import i18n
from tests.bot import test_telegram_webhook as telegram_tests
from tests.bot import test_twilio_webhooks as twilio_tests
from tests.conftest import built_app
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.twilio_api import FakeTwilio
from tests.helpers import WebChat

CHANNELS = ("webchat", "telegram", "whatsapp", "sms")
CHAT_ID = 7345678901
PHONE = "+447700900321"


class Resident:
    """What a resident sees: each call returns the text of everything the service sent back to it."""

    def __init__(self, channel: str, address: str, say: Callable[[str], str], choose: Callable[[str, str], str],
                 received: Callable[[], list[str]], keys: Callable[[], list[str]]):
        self.channel, self.address = channel, address
        self._say, self._choose, self._received, self._keys = say, choose, received, keys

    @property
    def sends(self) -> bool:
        """Whether replies go through the outbox to a provider (every channel but the web chat)."""
        return self.channel != "webchat"

    def say(self, text: str) -> str:
        return self._say(text)

    def choose(self, key: str, label: str) -> str:
        return self._choose(key, label)

    def received(self) -> list[str]:
        """Every message the service sent this resident so far, oldest first."""
        return self._received()

    @property
    def keys(self) -> list[str]:
        """The choice keys on the last message, where the channel shows them as keys (Telegram, web chat)."""
        return self._keys()

    def start_in_english(self) -> None:
        if "Choose your language." in self.say("Hello"):
            self.choose("lang:en", "English")


@contextmanager
def resident_on(channel: str, database_url: str, tmp_path: Path) -> Iterator[tuple[object, Resident]]:
    """The app (with the channel configured against its fake provider) and a resident on `channel`."""
    if channel == "webchat":
        app = next(built_app(database_url))
        try:
            chat = WebChat(app.test_client())
            said: list[str] = []

            def send(**message) -> str:
                chat.send(**message)
                said.append(chat.text)
                return chat.text

            yield app, Resident(channel, chat.session_id, lambda text: send(text=text),
                                lambda key, label: send(choice=key), lambda: list(said), lambda: chat.keys)
        finally:
            app.extensions["safer_homes.engine"].dispose()
        return
    if channel == "telegram":
        with FakeTelegramAPI(telegram_tests.TOKEN) as api:
            app = telegram_tests._telegram_app(database_url, api, tmp_path / "media")
            app.extensions["safer_homes.deliverer"].pacer = telegram_tests.NoWait()
            try:
                person = telegram_tests.Resident(app.test_client(), api, CHAT_ID, language_code="en")

                def texts(messages) -> str:
                    return "\n".join(message.plain for message in messages)

                yield app, Resident(channel, str(CHAT_ID), lambda text: texts(person.says(text)),
                                    lambda key, label: texts(person.taps_button(key)),
                                    lambda: [message.plain for message in api.messages_to(CHAT_ID)],
                                    lambda: list(person.last.callback_data))
            finally:
                telegram_tests._close(app)
        return
    with FakeTwilio(twilio_tests.ACCOUNT_SID, twilio_tests.AUTH_TOKEN) as fake:
        app = twilio_tests._build(database_url, fake, tmp_path)
        try:
            person = twilio_tests.Resident(app.test_client(), fake, PHONE, channel=channel)

            def choose(key: str, label: str) -> str:
                return person.send(twilio_tests.choice_number(person.last, label))

            yield app, Resident(channel, PHONE, person.send, choose,
                                lambda: [message.body for message in fake.messages_to(PHONE)], lambda: [])
        finally:
            twilio_tests._dispose(app)


def english(msgid: str) -> str:
    return i18n.translations("en").gettext(msgid)
