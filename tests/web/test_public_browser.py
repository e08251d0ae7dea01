"""A ward's public page in chromium, in Bengali and Somali, on a 320 px phone and a desktop: charts drawn,
no serious accessibility findings, no sideways scrolling; screenshots kept in tests/artifacts/."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from storage.database import make_engine, new_session
from storage.models import Agency, SuccessTarget, Ward
from storage.public_figures import clear_public_figures_cache
from tests.web.browser_checks import SMALL_PHONE, serious_axe_violations
from tests.web.test_public_pages import NOW, seed_markers, seed_weavers

DESKTOP = {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def seeded_weavers(live_app, live_database_url):
    """Weavers with answered and open reports, unsafe places at night, an agreed target and an entry."""
    live_app.extensions["safer_homes.clock"] = lambda: NOW
    engine = make_engine(live_database_url)
    seed_weavers(engine)
    seed_markers(engine)
    with new_session(engine) as session:
        council = session.execute(select(Agency).where(Agency.slug == "council")).scalar_one()
        weavers = session.execute(select(Ward).where(Ward.slug == "weavers")).scalar_one()
        session.add(SuccessTarget(measure="first_response", agency_id=council.id, ward_id=weavers.id, working_days=2,
                                  share_percent=90, agreed_with="Weavers ward panel", agreed_on=date(2025, 6, 3),
                                  effective_from=date(2025, 7, 1), created_at=NOW))
        session.commit()
    engine.dispose()
    clear_public_figures_cache()
    yield
    clear_public_figures_cache()


@pytest.mark.parametrize("lang", ["bn", "so"])
@pytest.mark.parametrize("size_name, size", [("320", SMALL_PHONE), ("desktop", DESKTOP)])
def test_ward_page_reads_well_in_bengali_and_somali(new_context, live_server, seeded_weavers, artifacts,
                                                     lang, size_name, size):
    page = new_context(**size).new_page()
    response = page.goto(f"{live_server}/public/wards/weavers?lang={lang}")
    assert response.status == 200
    assert page.locator("html").get_attribute("lang") == lang
    charts = page.locator("figure svg[role=img]")
    assert charts.count() >= 4  # categories, months, agencies, the agreed target
    for index in range(charts.count()):
        box = charts.nth(index).bounding_box()
        assert box and box["width"] > 200 and box["height"] > 50
        # Each chart is followed by the table holding its numbers.
        assert charts.nth(index).locator("xpath=ancestor::figure/following-sibling::*[1]//table").count() == 1
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # The Bengali page writes its numbers in Bengali digits (the chat does too).
    if lang == "bn":
        assert "৫" in page.locator("main").inner_text()
    assert serious_axe_violations(page) == []
    page.screenshot(path=artifacts / f"public-ward-{lang}-{size_name}.png", full_page=True)
