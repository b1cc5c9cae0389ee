"""Pages carry a Content-Security-Policy that lets scripts, styles, images and media come from this site only,
and no template needs inline script or style to work under it."""

import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)


def policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


@pytest.mark.parametrize("path", ["/login/", "/api/docs/", "/admin/login/"])
def test_pages_allow_scripts_images_and_media_from_this_site_only(client, path):
    directives = policy(client.get(path))
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == (["'self'", "'unsafe-inline'"] if path == "/api/docs/" else ["'self'"])
    assert set(directives["img-src"]) <= {"'self'", "data:"}
    assert set(directives["media-src"]) <= {"'self'", "blob:"}
    assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]


def test_the_signed_in_pages_carry_the_policy(patient):
    from django.test import Client

    client = Client()
    client.force_login(patient)
    response = client.get("/")
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert not INLINE_SCRIPT.search(response.content.decode())


def test_no_template_has_inline_script_style_or_event_handlers():
    offenders = [str(path) for path in Path(settings.BASE_DIR, "templates").rglob("*.html")
                 if any(inline.search(path.read_text()) for inline in (INLINE_SCRIPT, INLINE_HANDLER, INLINE_STYLE))]
    assert offenders == []


def test_the_api_docs_need_no_inline_script(client):
    assert not INLINE_SCRIPT.search(client.get("/api/docs/").content.decode())
