from __future__ import annotations

from typing import Any

import pytest

from khaibao.news.tests.helpers import publish


def test_it_removes_script_tags_and_their_content(world: Any, api: Any) -> None:
    out = publish(api, world.national, body="Xin chào <script>alert('x')</script> bạn")
    assert "<script" not in out["body_html"]
    assert "alert" not in out["body_html"]
    assert "Xin chào" in out["body_html"]
    # The source is kept as written, for editing.
    assert "<script>" in out["body"]


def test_it_removes_javascript_links(world: Any, api: Any) -> None:
    out = publish(
        api, world.national,
        body="[bấm](javascript:alert(1)) <a href=\"JaVaScRiPt:alert(2)\">x</a> <a href=\"data:text/html,hi\">d</a>",
    )
    html = out["body_html"].lower()
    assert "javascript" not in html
    assert "data:" not in html


def test_it_removes_event_handler_attributes(world: Any, api: Any) -> None:
    out = publish(api, world.national, body='<img src="x" onerror="alert(1)"> <p onclick="alert(2)">đoạn</p>')
    html = out["body_html"]
    assert "onerror" not in html
    assert "onclick" not in html
    assert "<img" not in html
    assert "<p>đoạn</p>" in html


@pytest.mark.parametrize("tag", ["iframe", "object", "embed", "style", "form"])
def test_it_removes_embedding_tags(world: Any, api: Any, tag: str) -> None:
    out = publish(api, world.national, body=f'trước <{tag} src="https://evil.example">bên trong</{tag}> sau')
    assert f"<{tag}" not in out["body_html"]
    assert "evil.example" not in out["body_html"]


def test_it_keeps_the_allowed_tags(world: Any, api: Any) -> None:
    source = (
        "## Khuyến cáo\n\n### Chi tiết\n\n**đậm** và *nghiêng* và `mã`\ndòng mới\n\n"
        "- một\n- hai\n\n1. ba\n2. bốn\n\n> trích dẫn\n\n"
        "[Bộ Y tế](https://moh.gov.vn) [gọi](tel:19009095) [thư](mailto:a@moh.gov.vn)"
    )
    html = publish(api, world.national, body=source)["body_html"]
    for fragment in [
        "<h2>Khuyến cáo</h2>", "<h3>Chi tiết</h3>", "<strong>đậm</strong>", "<em>nghiêng</em>", "<code>mã</code>",
        "<br>", "<ul>", "<ol>", "<li>một</li>", "<blockquote>",
        '<a href="https://moh.gov.vn" rel="noopener">Bộ Y tế</a>',
        '<a href="tel:19009095" rel="noopener">gọi</a>',
        '<a href="mailto:a@moh.gov.vn" rel="noopener">thư</a>',
    ]:
        assert fragment in html, fragment


def test_it_folds_headings_into_the_allowed_levels(world: Any, api: Any) -> None:
    html = publish(api, world.national, body="# Một\n\n#### Bốn")["body_html"]
    assert "<h1" not in html
    assert "<h4" not in html
    assert "<h2>Một</h2>" in html
    assert "<h3>Bốn</h3>" in html


def test_it_drops_attributes_that_could_restyle_or_retarget_links(world: Any, api: Any) -> None:
    html = publish(
        api, world.national, body='<a href="https://a.vn" target="_blank" style="x" rel="opener">a</a> <a href="/x">rel</a>'
    )["body_html"]
    assert 'target' not in html
    assert "style" not in html
    assert "opener\"" not in html.replace("noopener", "")
    assert 'href="/x"' not in html


def test_it_sanitises_the_english_text_too(world: Any, api: Any) -> None:
    out = publish(api, world.national, title_en="Notice", body_en="Hi <script>alert(1)</script>")
    assert "script" not in out["body_en_html"]
    assert "Hi" in out["body_en_html"]
