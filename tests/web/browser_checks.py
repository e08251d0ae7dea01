"""What the browser tests share: the small phone they emulate, the accessibility check (axe-core inside
the axe-playwright-python wheel, so nothing is fetched at run time) and a staff account to sign in with."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Sequence

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from storage import staff
from storage.database import make_engine, new_session

SMALL_PHONE = {"viewport": {"width": 320, "height": 640}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
AXE_RULE_SETS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
PASSWORD = "a long enough passphrase"


def serious_axe_violations(page: Page, *, also_failing_reviews: Sequence[str] = ()) -> list[str]:
    """axe-core's serious and critical findings, each with the elements it found them on; plus, for the
    rule ids in `also_failing_reviews`, what axe-core left "to review" (some of which a screen reader gets
    wrong anyway, such as a name ARIA forbids on an element)."""
    result_types = ["violations", "incomplete"] if also_failing_reviews else ["violations"]
    results = Axe().run(page, options={"resultTypes": result_types, "runOnly": AXE_RULE_SETS})
    found = [violation for violation in results.response["violations"] if violation["impact"] in ("serious", "critical")]
    found += [review for review in results.response.get("incomplete", []) if review["id"] in also_failing_reviews]
    return [f"{violation['id']} ({violation['impact']}): {violation['help']} at "
            + ", ".join(node["html"][:160] for node in violation["nodes"]) for violation in found]


def add_staff_account(database_url: str, email: str, role: str, agency: str | None = None) -> None:
    """A staff account with PASSWORD on the live server's database."""
    engine = make_engine(database_url)
    with new_session(engine) as session:
        staff.add_staff(session, email=email, role=role, agency_slug=agency, password=PASSWORD,
                        now=datetime.now(timezone.utc))
        session.commit()
    engine.dispose()
