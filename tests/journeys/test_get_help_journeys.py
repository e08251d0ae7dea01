"""Run every "get help" script in every shipped language, through the web chat API, on every backend, with the
demo directory of real helplines and Idea Stores."""
from __future__ import annotations

import pytest

from storage.database import make_engine, new_session
from storage.seed import seed_demo_help_services
from tests.journeys.runner import EVERY_LANGUAGE, FIXED_NOW, client, load_scripts, play  # noqa: F401 - client

SCRIPTS = load_scripts("get_help_journeys.json")


@pytest.fixture
def directory(database_url):
    engine = make_engine(database_url)
    with new_session(engine) as session:
        seed_demo_help_services(session, now=FIXED_NOW)
        session.commit()
    engine.dispose()


@pytest.mark.parametrize("lang", EVERY_LANGUAGE)
@pytest.mark.parametrize("name", list(SCRIPTS))
def test_get_help_script(client, directory, name, lang):  # noqa: F811
    for _ in play(name, SCRIPTS[name], lang, client, without_direction_controls=True):
        pass  # every expectation of these scripts is one the player checks
