"""A resident finds a free space through the real web chat API, from spaces staff added to the directory."""
from storage import spaces
from storage.database import new_session
from storage.types import utcnow
from tests.helpers import WebChat


def test_a_resident_finds_the_free_and_low_cost_spaces_in_their_ward(client, engine):
    with new_session(engine) as session:
        now = utcnow()
        spaces.add_space(session, name="Weavers Community Centre", address="1 Example Row, E2", now=now,
                         ward_slug="weavers", cost="free", opening_hours="Mon-Fri 9:00-21:00",
                         booking="Ask at reception", features=("step_free", "kitchen"))
        spaces.add_space(session, name="Weavers conference suite", address="2 Example Row, E2", now=now,
                         ward_slug="weavers", cost="paid")
        spaces.add_space(session, name="Bow tenants' hall", address="3 Example Estate, E3", now=now,
                         ward_slug="bow-east", cost="affordable")
        session.commit()
    chat = WebChat(client)
    chat.send(choice="start")
    chat.send(choice="lang:en")
    assert "menu:spaces" in chat.keys
    chat.send(choice="menu:spaces")
    chat.send(choice="ward:weavers")
    assert "Weavers Community Centre\n1 Example Row, E2\nFree to use\nOpen: Mon-Fri 9:00-21:00" in chat.text
    assert "Accessibility: step-free" in chat.text and "Facilities: kitchen" in chat.text
    assert "conference suite" not in chat.text and "Bow tenants' hall" not in chat.text  # paid; another ward
    assert chat.keys[0] == "menu:report"
    chat.send(choice="menu:spaces")
    chat.send(choice="ward:poplar")
    assert "no free or low-cost spaces listed in Poplar" in chat.text
    assert "Bow tenants' hall\n3 Example Estate, E3 (Bow East)\nLow cost" in chat.text
