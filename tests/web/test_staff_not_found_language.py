"""The staff pages' 404 for an address no route matches (web/errors.py) is a staff page too: in a staff language
(en, bn, so), never half in English under an Urdu or Arabic right-to-left page, with links to staff languages."""
import re

import pytest


def html_tag(page: str) -> str:
    return re.search(r"<html[^>]*>", page).group(0)


def language_links(page: str) -> set[str]:
    nav = re.search(r'<nav class="languages".*?</nav>', page, re.DOTALL).group(0)
    return set(re.findall(r'hreflang="([^"]+)"', nav))


@pytest.mark.parametrize("asked", [{"headers": {"Accept-Language": "ur"}}, {"query_string": {"lang": "ar"}}])
def test_a_staff_address_that_leads_nowhere_answers_in_a_staff_language(client, asked):
    answer = client.get("/staff/no-such-page", **asked)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 404
    assert 'lang="en"' in html_tag(page) and 'dir="rtl"' not in html_tag(page)
    assert language_links(page) == {"en", "bn", "so"}


def test_a_staff_address_that_leads_nowhere_follows_accept_language_to_somali(client):
    page = client.get("/staff/no-such-page", headers={"Accept-Language": "ar, so;q=0.8"}).get_data(as_text=True)
    assert 'lang="so"' in html_tag(page)


def test_a_public_address_that_leads_nowhere_keeps_every_language(client):
    page = client.get("/public/no/such/page", headers={"Accept-Language": "ur"}).get_data(as_text=True)
    assert 'lang="ur"' in html_tag(page) and 'dir="rtl"' in html_tag(page)
