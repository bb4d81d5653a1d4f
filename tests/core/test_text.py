"""Markdown sanitising and the search terms for Chinese and English."""

from fanloop.core.text import detect_language, query_terms, render_markdown, search_terms


def test_markdown_is_rendered_and_sanitised():
    html = render_markdown("**hi** <img src=x onerror=alert(1)> [x](javascript:alert(1)) [ok](https://a.b)")
    assert "<strong>hi</strong>" in html
    assert "<img" not in html  # raw HTML is shown as text, never as a tag
    assert 'href="javascript' not in html
    assert 'href="https://a.b"' in html and "nofollow" in html


def test_raw_html_is_escaped_not_executed():
    html = render_markdown("<script>alert(1)</script>")
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_chinese_terms_include_words_inside_longer_text():
    terms = search_terms("电池续航太差，待机掉电严重")
    assert "电池" in terms and "续航" in terms
    assert query_terms("电池") == ["电池"]


def test_english_terms_are_lower_case_words_without_stopwords():
    assert search_terms("The Battery drains on LumenOS 5.1") >= {"battery", "drains", "lumenos", "5.1"}
    assert "the" not in search_terms("The battery")


def test_mixed_query():
    assert query_terms("Lumen X3 相机对焦") == ["lumen", "x3", "相机", "对焦"]


def test_language_detection():
    assert detect_language("更新后待机掉电严重") == "zh_CN"
    assert detect_language("Battery drains overnight") == "en"
    assert detect_language("Lumen X3 更新后待机掉电严重") == "zh_CN"
