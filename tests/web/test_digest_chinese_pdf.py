"""The ward panel digest's PDF in Chinese draws its Chinese words (web/digest.py cuts Noto Sans CJK down to the
characters used): before, fpdf2 had no font with them and left every Chinese character out."""
from __future__ import annotations

import pytest

from tests.web.test_digest import _pdf_text, _squeezed, agenda_data, at_now, weavers, with_agenda  # noqa: F401 (fixtures)


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-Hant"])
def test_the_chinese_pdf_says_the_same_words_as_the_chinese_page(client, with_agenda, lang):  # noqa: F811
    import re

    page = client.get(f"/public/wards/weavers/meetings/{with_agenda}?lang={lang}").get_data(as_text=True)
    response = client.get(f"/public/wards/weavers/meetings/{with_agenda}.pdf?lang={lang}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _squeezed(_pdf_text(response.data))
    main_part = page.split('<main id="main" tabindex="-1">', 1)[1].split("</main>", 1)[0]
    chinese = [words.strip() for words in re.findall(r">([^<>]+)<", main_part)
               if any("\u4e00" <= character <= "\u9fff" for character in words)]
    assert len(chinese) > 5
    for words in chinese:
        assert _squeezed(words.replace("&amp;", "&")) in text, words


def test_a_pdf_without_chinese_embeds_no_cjk_font(client, with_agenda):  # noqa: F811
    data = client.get(f"/public/wards/weavers/meetings/{with_agenda}.pdf?lang=en").data
    assert b"CJK" not in data
