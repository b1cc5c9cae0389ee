"""/practice/: the lessons to choose from, the practice panel and the vocabulary, for a signed-in user."""

import pytest
from django.test import Client

from meditrack.testing.people import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(patient):
    client = Client()
    client.login(email=patient.email, password=PASSWORD)
    return client


def test_the_page_offers_the_lessons_and_free_talk(browser):
    page = browser.get("/practice/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'aria-label="Start Describing symptoms"' in html and 'aria-label="Start free talk"' in html
    assert "Beginner" in html and "8 phrases" in html
    assert 'id="mic"' in html and 'id="coach-audio"' in html and 'id="due-list"' in html
    assert "js/practice.js" in html and "js/recorder.js" in html
    assert '<a href="/practice/" class="active">Practice</a>' in html


def test_the_page_is_for_signed_in_users():
    response = Client().get("/practice/")
    assert response.status_code == 302 and "/login/" in response["Location"]
