import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from journal import selectors
from journal.insights.crisis import sounds_like_crisis
from journal.insights.phrases import sleep_complaint, stress_complaint
from journal.insights.predictive import MIN_COMPLAINT_DAYS
from journal.models import EntryAnalysis, JournalEntry
from journal.tasks import analyze_pending
from meditrack.accounts.models import User
from meditrack.celery import QUEUES
from meditrack.demo import journals, stories
from meditrack.demo.people import SPAN_DAYS, seed_accounts

pytestmark = pytest.mark.django_db

EMAILS = [story.email for story in stories.STORIES]
SOME_DAY = date(2026, 3, 14)


@pytest.fixture
def demo_users(db):
    seed_accounts()
    return {user.email: user for user in User.objects.filter(email__in=EMAILS)}


def _sentences(text):
    return re.split(r"(?<=[.!?])\s+", text.strip())


def test_it_gives_each_demo_patient_months_of_entries(demo_users, queued_tasks, django_capture_on_commit_callbacks):
    versions = {user.pk: selectors.insight_cache_version(owner_id=user.pk) for user in demo_users.values()}
    with django_capture_on_commit_callbacks(execute=True):
        created = journals.seed_journals()
    now = timezone.now()

    assert created == JournalEntry.objects.count()
    for email, user in demo_users.items():
        entries = list(JournalEntry.objects.filter(owner=user).order_by("written_at"))
        assert 100 <= len(entries) <= 160, email
        assert (entries[-1].written_at - entries[0].written_at).days >= 150, email
        assert all(e.written_at <= now for e in entries), email
        assert (now - entries[0].written_at).days <= 190, email
        moods = [e.mood for e in entries if e.mood is not None]
        assert all(1 <= m <= 10 for m in moods), email
        assert 0.55 <= len(moods) / len(entries) <= 0.85, email
        assert 0.12 <= sum(e.shared_with_care_team for e in entries) / len(entries) <= 0.5, email
        assert all(1 <= len(_sentences(e.text)) <= 6 for e in entries), email
        texts = [e.text for e in entries]
        assert len(set(texts)) == len(texts), email
        # Written at plausible hours: mostly mornings and evenings, a few at lunch or in a sleepless night.
        hours = [timezone.localtime(e.written_at).hour for e in entries]
        assert sum(6 <= h <= 9 or 18 <= h <= 23 for h in hours) / len(hours) >= 0.75, email
        # Not every day: realistic gaps.
        days = {timezone.localtime(e.written_at).date() for e in entries}
        assert len(days) < 0.9 * ((entries[-1].written_at - entries[0].written_at).days + 1), email
    # Once committed: every seeded journal's insights are invalidated, and one analysis run queued per tier.
    assert all(selectors.insight_cache_version(owner_id=pk) != version for pk, version in versions.items())
    runs = [task.args[0] for queue in QUEUES for task in queued_tasks(queue) if task.name == analyze_pending.name]
    assert sorted(runs) == sorted({u.tier for u in demo_users.values()})


def test_it_writes_no_crisis_language(demo_users):
    journals.seed_journals()
    texts = list(JournalEntry.objects.values_list("text", flat=True))
    assert len(texts) >= 600
    assert not [t for t in texts if sounds_like_crisis(t)]
    assert not JournalEntry.objects.filter(crisis=True).exists()
    # Nor anywhere in the banks, whatever a seed or a day would draw from them.
    phrases = [*stories.JOYS.low, *stories.JOYS.mid, *stories.JOYS.high]
    for story in stories.STORIES:
        phrases += [t for topic in story.topics for bank in (topic.low, topic.mid, topic.high) for t in bank]
        phrases += [text for text, _ in story.events.values()]
        phrases += [v for values in story.fills.values() for v in values]
    for topic in stories.WEATHER.values():
        phrases += [*topic.low, *topic.mid, *topic.high]
    phrases += [p for bank in (*stories.OPENERS.values(), *stories.CLOSERS.values()) for p in bank]
    phrases += [v for values in stories.COMMON_FILLS.values() for v in values]
    assert not [p for p in phrases if sounds_like_crisis(p)]


def test_it_gives_every_entry_a_pending_analysis(demo_users):
    created = journals.seed_journals()
    assert EntryAnalysis.objects.count() == created
    assert EntryAnalysis.objects.filter(status=EntryAnalysis.Status.PENDING, entry__isnull=False).count() == created
    assert not JournalEntry.objects.filter(analysis__isnull=True).exists()


def test_it_is_deterministic(demo_users):
    def saved():
        return list(JournalEntry.objects.order_by("owner__email", "written_at")
                    .values_list("owner__email", "written_at", "text", "mood", "shared_with_care_team"))

    journals.seed_journals(today=SOME_DAY, seed=7)
    first = saved()
    JournalEntry.objects.all().delete()
    journals.seed_journals(today=SOME_DAY, seed=7)
    assert saved() == first
    JournalEntry.objects.all().delete()
    journals.seed_journals(today=SOME_DAY, seed=8)
    assert [row[2] for row in saved()] != [row[2] for row in first]
    # The journal ends on the day it is given.
    assert max(row[1] for row in first).date() == SOME_DAY


def test_it_plans_the_same_journal_for_the_same_seed_and_day():
    for story in stories.STORIES:
        assert journals.plan_journal(story, today=SOME_DAY) == journals.plan_journal(story, today=SOME_DAY)


def test_it_is_idempotent(demo_users, django_capture_on_commit_callbacks):
    assert journals.seed_journals() > 0
    count = JournalEntry.objects.count()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert journals.seed_journals() == 0
    assert JournalEntry.objects.count() == count
    assert callbacks == []


def test_it_leaves_a_journal_that_exists_alone(demo_users):
    maria = demo_users["maria.garcia@meditrack.local"]
    JournalEntry.objects.create(owner=maria, text="My own first entry.", written_at=timezone.now())
    created = journals.seed_journals()
    assert JournalEntry.objects.filter(owner=maria).count() == 1
    assert created == JournalEntry.objects.exclude(owner=maria).count() > 500


def test_it_seeds_nobody_without_the_demo_accounts(db):
    assert journals.seed_journals() == 0
    assert not JournalEntry.objects.exists()


def test_it_makes_james_last_fortnight_clearly_worse(demo_users):
    journals.seed_journals()
    james = demo_users["james.chen@meditrack.local"]
    today = timezone.localdate()
    entries = list(JournalEntry.objects.filter(owner=james))
    recent = [e for e in entries if (today - timezone.localtime(e.written_at).date()).days < 14]
    earlier = [e for e in entries if (today - timezone.localtime(e.written_at).date()).days >= 45]
    recent_moods = [e.mood for e in recent if e.mood]
    earlier_moods = [e.mood for e in earlier if e.mood]
    assert len(recent) >= 14 and len(recent_moods) >= 7
    assert sum(recent_moods) / len(recent_moods) <= sum(earlier_moods) / len(earlier_moods) - 2
    # Within the fortnight too, the second week is worse than the first.
    first_week = [e.mood for e in recent if e.mood and (today - timezone.localtime(e.written_at).date()).days >= 7]
    last_week = [e.mood for e in recent if e.mood and (today - timezone.localtime(e.written_at).date()).days < 7]
    assert sum(last_week) / len(last_week) < sum(first_week) / len(first_week) - 1
    # Repeated sleep and stress complaints on different days: what the predictive insight looks for.
    for complaint in (sleep_complaint, stress_complaint):
        days = {timezone.localtime(e.written_at).date() for e in recent if complaint(e.text)}
        assert len(days) >= MIN_COMPLAINT_DAYS + 1, complaint.__name__


def test_it_keeps_the_others_steadier_at_the_end(demo_users):
    journals.seed_journals()
    today = timezone.localdate()
    for email, user in demo_users.items():
        if email.startswith("james."):
            continue
        recent = [e for e in JournalEntry.objects.filter(owner=user, mood__isnull=False)
                  if (today - timezone.localtime(e.written_at).date()).days < 14]
        assert sum(e.mood for e in recent) / len(recent) >= 5.5, email


def test_it_follows_each_storyline(demo_users):
    journals.seed_journals(today=SOME_DAY)

    def mean_mood(name, first_day, last_day):
        """The mean self-rated mood of name@meditrack.local between two days of the story."""
        start = SOME_DAY - timedelta(days=SPAN_DAYS)
        moods = [e.mood for e in JournalEntry.objects.filter(owner__email=f"{name}@meditrack.local",
                                                              mood__isnull=False)
                 if first_day <= (timezone.localtime(e.written_at).date() - start).days <= last_day]
        return sum(moods) / len(moods)

    # María: a hard stretch, then better after the new medication.
    assert mean_mood("maria.garcia", 55, 92) < mean_mood("maria.garcia", 150, 182) - 2.5
    # Fatima: steady, with one bad fortnight.
    assert mean_mood("fatima.hassan", 119, 130) < mean_mood("fatima.hassan", 0, 110) - 2
    # Claire: better than when she started.
    assert mean_mood("claire.dubois", 0, 30) < mean_mood("claire.dubois", 150, 182) - 2.5
    # Sam: the diagnosis, then adjusting.
    assert mean_mood("sam.okoro", 17, 40) < mean_mood("sam.okoro", 120, 182) - 2.5
    # Tom: flare-ups out of a middling baseline.
    assert mean_mood("tom.muller", 98, 108) < mean_mood("tom.muller", 115, 138) - 2
