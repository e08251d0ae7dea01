"""Staff pages come in the languages their own words are translated into (en, bn, so); public pages in
every shipped language. A staff page asked for Urdu falls back to a staff language instead of showing
half its words in English."""
import re

from flows import i18n


def html_tag(page: str) -> str:
    return re.search(r"<html[^>]*>", page).group(0)


def language_links(page: str) -> set[str]:
    nav = re.search(r'<nav class="languages".*?</nav>', page, re.DOTALL).group(0)
    return set(re.findall(r'hreflang="([^"]+)"', nav))


def test_a_staff_page_asked_for_a_language_without_staff_words_is_shown_in_english(client):
    page = client.get("/staff/login?lang=ur").get_data(as_text=True)
    assert 'lang="en"' in html_tag(page) and 'dir="rtl"' not in html_tag(page)
    assert language_links(page) == {"en", "bn", "so"}


def test_a_staff_page_follows_accept_language_to_the_first_staff_language(client):
    page = client.get("/staff/login", headers={"Accept-Language": "ar, so;q=0.8, en;q=0.5"}).get_data(as_text=True)
    assert 'lang="so"' in html_tag(page)


def test_public_pages_offer_every_shipped_language(client):
    page = client.get("/public?lang=ur").get_data(as_text=True)
    assert 'lang="ur"' in html_tag(page) and 'dir="rtl"' in html_tag(page)
    assert language_links(page) == {language.code for language in i18n.LANGUAGES}
