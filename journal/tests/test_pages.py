"""The journal's browser pages: list, editor, edit, delete, detail, insights and the crisis banner."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from journal import services
from journal.models import EntryAnalysis, JournalEntry

pytestmark = pytest.mark.django_db


def write(owner, text="A quiet day at home.", **kwargs):
    return services.entry_create(owner=owner, text=text, **kwargs)


def test_it_lists_only_the_users_own_entries_newest_first(client, patient, other_patient):
    write(patient, "Older walk by the river.", written_at=timezone.now() - timedelta(days=3), mood=6)
    write(patient, "Newer morning with coffee.")
    write(other_patient, "Bob's private thoughts.")
    client.force_login(patient)
    page = client.get("/journal/").content.decode()
    assert "Newer morning with coffee." in page and "Older walk by the river." in page
    assert page.index("Newer morning") < page.index("Older walk")
    assert "Bob&#x27;s private thoughts" not in page and "Bob's private thoughts" not in page
    assert "analysing…" in page and "Mood <strong>6</strong>/10" in page


def test_it_shows_the_sentiment_badge_and_emotions_of_an_analysed_entry(client, patient):
    entry = write(patient, "Lovely day.")
    EntryAnalysis.objects.filter(entry=entry).update(
        status="done", sentiment_label="positive", negative=0.05, neutral=0.15, positive=0.8, score=0.75,
        emotions=[{"label": "joy", "score": 0.9}], analysed_revision=entry.revision)
    client.force_login(patient)
    page = client.get("/journal/").content.decode()
    assert 'class="badge badge-positive"' in page and '<li class="emotion">joy</li>' in page
    detail = client.get(f"/journal/{entry.pk}/").content.decode()
    assert "Lovely day." in detail and "80%" in detail


def test_it_searches_and_filters_by_date(client, patient):
    write(patient, "Swimming in the lake.", written_at=timezone.now() - timedelta(days=40))
    write(patient, "Reading a novel.")
    client.force_login(patient)
    page = client.get("/journal/", {"q": "swim"}).content.decode()
    assert "Swimming in the lake." in page and "Reading a novel." not in page
    since = (timezone.localdate() - timedelta(days=7)).isoformat()
    page = client.get("/journal/", {"from": since}).content.decode()
    assert "Reading a novel." in page and "Swimming in the lake." not in page


def test_it_paginates_keeping_the_search(client, patient):
    for n in range(23):
        write(patient, f"Entry number {n} about tea.", written_at=timezone.now() - timedelta(hours=n))
    client.force_login(patient)
    page = client.get("/journal/", {"q": "tea"}).content.decode()
    assert "Page 1 of 2" in page and "?q=tea&amp;page=2" in page
    assert "Entry number 22 about" in client.get("/journal/", {"q": "tea", "page": 2}).content.decode()


def test_it_creates_an_entry_through_the_form_and_redirects(client, patient):
    client.force_login(patient)
    r = client.post("/journal/", {"text": "Slept well and went for a walk.", "mood": "7",
                                  "shared_with_care_team": "on"})
    assert r.status_code == 302 and r["Location"] == "/journal/"
    entry = JournalEntry.objects.get(owner=patient)
    assert (entry.text, entry.mood, entry.shared_with_care_team) == ("Slept well and went for a walk.", 7, True)
    assert "Entry saved." in client.get("/journal/").content.decode()


def test_it_back_fills_an_entry_in_the_writers_time_zone_and_can_skip_the_mood(client, patient):
    patient.time_zone = "Europe/Berlin"
    patient.save()
    client.force_login(patient)
    r = client.post("/journal/", {"text": "Remembering last week.", "mood": "5", "no_mood": "on",
                                  "written_at": "2024-03-05T21:30"})
    assert r.status_code == 302
    entry = JournalEntry.objects.get(owner=patient)
    assert entry.mood is None
    assert entry.written_at.astimezone(timezone.get_fixed_timezone(0)).strftime("%Y-%m-%d %H:%M") == "2024-03-05 20:30"


def test_it_shows_the_error_for_a_blank_entry_and_saves_nothing(client, patient):
    client.force_login(patient)
    r = client.post("/journal/", {"text": "   ", "mood": "4", "shared_with_care_team": "on"})
    assert r.status_code == 200
    page = r.content.decode()
    assert "Write something first." in page and 'aria-invalid="true"' in page
    assert not JournalEntry.objects.exists()


def test_it_rejects_a_future_date_and_keeps_what_was_typed(client, patient):
    client.force_login(patient)
    future = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    r = client.post("/journal/", {"text": "Written tomorrow?", "mood": "8", "written_at": future})
    page = r.content.decode()
    assert r.status_code == 200 and "cannot be dated in the future" in page
    assert "Written tomorrow?" in page and 'value="8"' in page and f'value="{future}"' in page
    assert not JournalEntry.objects.exists()


def test_it_refuses_an_entry_over_100_kb_and_keeps_the_form(client, patient):
    client.force_login(patient)
    r = client.post("/journal/", {"text": "é" * 50_001, "mood": "5"})
    assert r.status_code == 200 and "limited to 100 kB" in r.content.decode()
    assert not JournalEntry.objects.exists()


def test_it_rejects_a_date_before_1900(client, patient):
    client.force_login(patient)
    r = client.post("/journal/", {"text": "Very old.", "mood": "5", "written_at": "1899-12-31T10:00"})
    assert "before 1900" in r.content.decode() and not JournalEntry.objects.exists()


def test_it_edits_an_own_entry(client, patient):
    entry = write(patient, "First draft.", mood=3)
    client.force_login(patient)
    form = client.get(f"/journal/{entry.pk}/edit/").content.decode()
    assert "First draft." in form and 'value="3"' in form
    r = client.post(f"/journal/{entry.pk}/edit/", {"text": "Second draft.", "mood": "6"})
    assert r.status_code == 302 and r["Location"] == f"/journal/{entry.pk}/"
    entry.refresh_from_db()
    assert (entry.text, entry.mood, entry.revision) == ("Second draft.", 6, 2)


def test_it_keeps_the_time_of_an_edited_entry_when_when_is_left_as_shown(client, patient):
    written_at = timezone.now().replace(second=42, microsecond=1234) - timedelta(days=2)
    entry = write(patient, "On time.", written_at=written_at)
    patient.time_zone = "America/New_York"
    patient.save()
    client.force_login(patient)
    form = client.get(f"/journal/{entry.pk}/edit/").content.decode()
    shown = timezone.localtime(written_at, timezone=ZoneInfo("America/New_York"))
    assert f'value="{shown:%Y-%m-%dT%H:%M}"' in form
    client.post(f"/journal/{entry.pk}/edit/", {"text": "On time, edited.", "mood": "5",
                                               "written_at": f"{shown:%Y-%m-%dT%H:%M}"})
    entry.refresh_from_db()
    assert entry.text == "On time, edited." and entry.written_at == written_at


def test_it_shows_times_in_the_users_zone(client, patient):
    write(patient, "Late.", written_at=timezone.now().replace(year=2024, month=1, day=10, hour=23, minute=30))
    client.force_login(patient)
    assert "Wed 10 Jan 2024 · 23:30" in client.get("/journal/").content.decode()
    patient.time_zone = "Asia/Tokyo"
    patient.save()
    assert "Thu 11 Jan 2024 · 08:30" in client.get("/journal/").content.decode()


def test_it_keeps_the_entry_when_an_edit_is_blank(client, patient):
    entry = write(patient, "Keep me.")
    client.force_login(patient)
    r = client.post(f"/journal/{entry.pk}/edit/", {"text": "", "mood": "5"})
    assert r.status_code == 200 and "Write something first." in r.content.decode()
    entry.refresh_from_db()
    assert entry.text == "Keep me."


def test_it_answers_404_for_another_users_entry(client, patient, other_patient):
    foreign = write(other_patient, "Not yours.")
    client.force_login(patient)
    assert client.get(f"/journal/{foreign.pk}/").status_code == 404
    assert client.get(f"/journal/{foreign.pk}/edit/").status_code == 404
    assert client.post(f"/journal/{foreign.pk}/edit/", {"text": "Mine now.", "mood": "5"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.text == "Not yours."


def test_it_deletes_only_for_the_owner(client, patient, other_patient):
    own, foreign = write(patient, "Delete me."), write(other_patient, "Keep me.")
    client.force_login(patient)
    confirm = client.get(f"/journal/{own.pk}/delete/").content.decode()
    assert "Delete this entry?" in confirm and JournalEntry.objects.filter(pk=own.pk).exists()
    assert client.post(f"/journal/{foreign.pk}/delete/").status_code == 404
    assert JournalEntry.objects.filter(pk=foreign.pk).exists()
    r = client.post(f"/journal/{own.pk}/delete/")
    assert r.status_code == 302 and r["Location"] == "/journal/"
    assert not JournalEntry.objects.filter(pk=own.pk).exists()


def test_it_shows_the_crisis_banner_with_the_resources_after_a_crisis_entry(client, patient):
    client.force_login(patient)
    r = client.post("/journal/", {"text": "I don't want to be alive anymore.", "mood": "1"}, follow=True)
    page = r.content.decode()
    assert JournalEntry.objects.get(owner=patient).crisis
    banner = page[page.index('id="crisis-banner"'):page.index("</section>", page.index('id="crisis-banner"'))]
    assert "hidden" not in banner.split(">", 1)[0]
    assert "You are not alone." in banner
    for resource in services.SUPPORT_RESOURCES:
        assert resource["name"].replace("&", "&amp;") in banner
    # Once: the next page has the banner ready for a live notification, but closed.
    again = client.get("/journal/").content.decode()
    assert 'id="crisis-banner" role="alert" aria-labelledby="crisis-title" tabindex="-1" hidden' in again


def test_it_opens_no_banner_after_an_ordinary_entry(client, patient):
    client.force_login(patient)
    page = client.post("/journal/", {"text": "A calm evening.", "mood": "6"}, follow=True).content.decode()
    assert 'tabindex="-1" hidden' in page


def test_it_renders_the_insights_page_with_its_api_links_and_entry_dates(client, patient, other_patient):
    own = write(patient, "Some day.")
    foreign = write(other_patient, "Another day.")
    client.force_login(patient)
    r = client.get("/journal/insights/")
    page = r.content.decode()
    assert r.status_code == 200
    for kind in ("comprehensive", "predictive", "profile"):
        assert f'data-url="/api/v1/journal/insights/{kind}"' in page
    assert "A reflection of what you wrote, not a diagnosis." in page
    assert f'"{own.pk}": "' in page and f'"{foreign.pk}"' not in page
    assert "Some day." not in page  # dates only: no entry text in the page's data


def test_it_links_the_journal_in_the_navigation(client, patient):
    client.force_login(patient)
    assert 'href="/journal/"' in client.get("/").content.decode()


@pytest.mark.parametrize("path", ["/journal/", "/journal/insights/", "/journal/1/", "/journal/1/edit/",
                                  "/journal/1/delete/"])
def test_it_sends_anonymous_visitors_to_the_login(client, path):
    r = client.get(path)
    assert r.status_code == 302 and r["Location"].startswith("/login/?next=")
