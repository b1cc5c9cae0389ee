"""The editor says, before the patient writes, what crisis language does: a private entry still alerts their
care team (that support may be needed, never the words), so a patient is not told the entry stays unseen."""

import pytest

from journal import services

pytestmark = pytest.mark.django_db
NOTICE = "alerts your care team"


def before_the_text_field(html):
    return html.index(NOTICE) < html.index("<textarea")


def test_the_new_entry_editor_says_crisis_language_alerts_the_care_team(client, patient):
    client.force_login(patient)
    html = client.get("/journal/").content.decode()
    assert NOTICE in html and before_the_text_field(html)
    assert "never what you wrote" in html


def test_the_edit_page_says_it_too(client, patient):
    entry = services.entry_create(owner=patient, text="A quiet day.")
    client.force_login(patient)
    html = client.get(f"/journal/{entry.pk}/edit/").content.decode()
    assert NOTICE in html and before_the_text_field(html)
