"""The ward panel digest writes its days in each language's CLDR order (flows/dates.py): the meeting is on
Wednesday 10 June 2026 at 19:00 London time, and the figures run from Wednesday 8 April to Monday 1 June."""
from __future__ import annotations

import re

import pytest

from tests.web.test_digest import at_now, weavers, with_agenda  # noqa: F401 (fixtures)


@pytest.mark.parametrize("lang, meeting, period_end, english_order", [
    ("en", "Wednesday 10 June 2026, 19:00", "Monday 1 June 2026", "Wednesday, "),
    ("zh-Hans", "2026年6月10日星期三 19:00", "2026年6月1日星期一", "10 六月"),
    ("zh-Hant", "2026年6月10日 星期三 19:00", "2026年6月1日 星期一", "10 6月"),
    ("lt", "2026 m. birželio 10 d., trečiadienis 19:00", "2026 m. birželio 1 d., pirmadienis", "10 birželio"),
])
def test_the_digest_page_writes_days_in_the_languages_order(client, at_now, with_agenda, lang, meeting,  # noqa: F811
                                                            period_end, english_order):
    page = client.get(f"/public/wards/weavers/meetings/{with_agenda}?lang={lang}").get_data(as_text=True)
    main = re.sub(r"<[^>]+>", "\n", page.split('<main id="main" tabindex="-1">', 1)[1].split("</main>", 1)[0])
    assert meeting in main and period_end in main
    assert english_order not in main and "星期三 10" not in main
