"""Whatever a resident sends, in any order, the engine answers and its state stays plain JSON."""
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flows
from flows import i18n
from flows.types import SubmitReport
from tests.flows.helpers import make_context

KNOWN_KEYS = [
    "start", "menu", "help", "stop", "retry", "done", "skip", "idle:continue", "idle:restart",
    *[f"lang:{language.code}" for language in i18n.LANGUAGES],
    "menu:report", "menu:status", "menu:events", "menu:language", "menu:help", "menu:spaces", "danger:yes", "danger:no",
    "continue:yes", "continue:no", "cat:noise", "cat:hate", "ward:weavers", "when:now", "privacy:anonymous",
    "privacy:private", "privacy:named", "agency:council", "agency:police", "confirm:yes", "confirm:no",
    "change:what", "change:discard", "change:privacy", "spaces:anywhere", "spaces:more",
    "cat:unsafe_place", "daypart:night", "daypart:morning", "self:woman_or_girl", "change:daypart", "change:self",
    "change:category",
]
inbounds = st.one_of(
    st.builds(lambda key: flows.Inbound(choice=key), st.sampled_from(KNOWN_KEYS) | st.text(max_size=20)),
    st.builds(lambda text: flows.Inbound(text=text), st.text(max_size=60)),
    st.builds(lambda n: flows.Inbound(text=n), st.sampled_from(["1", "2", "3", "৪", "٥", "0", "99", "status TH-7K3M-9QXR", "menu", "মেনু"])),
    st.builds(lambda lat, lon: flows.Inbound(latitude=lat, longitude=lon), st.floats(allow_nan=False), st.floats(allow_nan=False)),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(inbounds, max_size=25))
def test_any_sequence_of_messages_gets_an_answer(messages):
    context = make_context()
    state: dict = {}
    for inbound in messages:
        step = flows.handle(inbound, state, context)
        assert step.replies, inbound
        # Only the last message may carry choices, so numbers are never ambiguous.
        assert all(not reply.choices for reply in step.replies[:-1])
        assert json.loads(json.dumps(step.state)) == step.state
        for intent in step.intents:
            if isinstance(intent, SubmitReport):
                assert intent.agencies and intent.category and intent.privacy in ("anonymous", "private", "named")
                # The night-safety answers ride only on unsafe places, and never as a "no".
                assert intent.woman_or_girl in (True, None)
                if intent.category != "unsafe_place":
                    assert intent.time_of_day is None and intent.woman_or_girl is None
                assert "draft" not in step.state
        state = step.state
