"""Demo journals for the six demo patients: about six months of believable entries each, written from their stories.

Every person has a mood curve over the story's days (SPAN_DAYS, ending today), a writing habit (how likely an entry
is on a day, more or less so on bad days), milestone entries on fixed days of the story, and phrase banks per topic in
three registers (low, mid, high). A day's latent mood is the curve plus slowly wandering noise; it picks the register
of each sentence, the self-rated mood (on ~70% of the entries) and, with the topic weights of that part of the story,
what the entry is about. Work happens on weekdays, walking groups at weekends, the weather follows the calendar.

Everything is drawn from a random.Random seeded by (seed, email): the same seed and `today` give the same journals.
The demo holds no crisis or self-harm language, nor words that only look like it (the crisis flow is shown live in
the browser): every text is checked by journal.insights.crisis.sounds_like_crisis and drawn again on a hit.

The text is English whatever the person's language: the offline analyser reads English only.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from journal import services
from journal.insights.crisis import crisis_language, sounds_like_crisis
from journal.models import EntryAnalysis, JournalEntry
from meditrack.accounts.models import User
from meditrack.demo.people import SPAN_DAYS
from meditrack.demo.stories import (
    CLOSERS,
    COMMON_FILLS,
    JOYS,
    LOW_MOOD,
    OPENERS,
    SEASONS,
    STORIES,
    WEATHER,
    Curve,
    Story,
    Topic,
)

MOOD_SHARE = 0.7
# The weight of a second entry on a day, against the first.
SECOND_ENTRY = 0.12


def _at(curve: Curve | float, day: float) -> float:
    """A piecewise linear curve through (day, value) points, flat beyond its ends."""
    if isinstance(curve, int | float):
        return float(curve)
    if day <= curve[0][0]:
        return curve[0][1]
    for (d0, v0), (d1, v1) in zip(curve, curve[1:], strict=False):
        if day <= d1:
            return v0 + (v1 - v0) * (day - d0) / (d1 - d0)
    return curve[-1][1]



@dataclass(frozen=True)
class PlannedEntry:
    day: date
    at: time
    text: str
    mood: int | None
    shared: bool



# The minutes after midnight between which an entry of each part of the day is written.
HOURS = {"morning": (6 * 60 + 10, 9 * 60 + 40), "afternoon": (12 * 60 + 5, 14 * 60 + 30),
         "evening": (18 * 60 + 30, 23 * 60 + 15), "night": (10, 2 * 60 + 50)}


# ---- planning -----------------------------------------------------------------------------------------------------

def _registers(mood: float) -> tuple[float, float, float]:
    """Chances that a sentence on a day of this latent mood is from the low, mid or high bank."""
    high = 1 / (1 + math.exp(-(mood - 6.0) * 1.4))
    low = 1 / (1 + math.exp(-(LOW_MOOD - mood) * 1.4))
    mid = max(0.08, 1 - high - low)
    return low, mid, high


def _register_of(mood: float) -> str:
    return "low" if mood < LOW_MOOD else "high" if mood >= 6.5 else "mid"


def _sentences(text: str) -> int:
    return len(re.split(r"(?<=[.!?])\s+", text.strip()))


# Words a template may not use at a time of day: a morning entry has no "today" behind it yet, a night one no
# "this morning" (that was yesterday's).
UNFIT = {
    "morning": re.compile(r"\b(?:today|tonight|this evening|evening|afternoon|all day|after work|dinner|bedtime|"
                          r"lunch|good day|a good one)\b", re.IGNORECASE),
    "afternoon": re.compile(r"\b(?:tonight|this evening|evening|all day|after work|dinner|bedtime)\b", re.IGNORECASE),
    "evening": re.compile(r"(?!)"),
    "night": re.compile(r"\bthis morning\b", re.IGNORECASE),
}
# Words of a working or school day, for no template at a weekend.
WEEKDAY_ONLY = re.compile(r"\b(?:after school|school gate|drop-off|standup|staff meeting|one-to-one|after work)\b",
                          re.IGNORECASE)
# Joining a sentence to the one before: by whether its register is the same, brighter or darker.
CONNECTORS = {
    ("low", "low"): ("Also, ", "And ", "On top of that, "),
    ("mid", "mid"): ("Also, ", "And "),
    ("high", "high"): ("Also, ", "And ", "Plus "),
    "brighter": ("On the plus side, ", "At least ", "Still, "),
    "darker": ("But ", "Then again, "),
}
# Only a sentence with a subject takes a connector: "At least great sleep" is not English.
SUBJECTS = frozenset({"I", "I'm", "I've", "I'd", "My", "The", "We", "It", "It's", "Everything", "Every"})
REGISTERS = ("low", "mid", "high")


def _proper_nouns() -> frozenset[str]:
    """Capitalised words inside a sentence of any bank or fill: names, which keep their capital after a connector."""
    texts = [t for story in STORIES for topic in (*story.topics, JOYS, *WEATHER.values())
             for bank in (topic.low, topic.mid, topic.high) for t in bank]
    texts += [text for story in STORIES for text, _ in story.events.values()]
    words = {word for text in texts for word in re.findall(r"(?<=[\w,:] )([A-Z][\w'-]*)", text)}
    words.update(v for story in STORIES for values in story.fills.values() for v in values if v[:1].isupper())
    return frozenset(words | {"I", "I'm", "I've", "I'd", "I'll"})


PROPER_NOUNS = _proper_nouns()


class _Writer:
    def __init__(self, story: Story, rng: random.Random) -> None:
        self.story, self.rng = story, rng
        self.fills = {**COMMON_FILLS, **story.fills}
        self.uses: dict[str, int] = {}

    def fill(self, template: str) -> str:
        return re.sub(r"\{(\w+)\}", lambda m: self.rng.choice(self.fills[m.group(1)]), template)

    def pick(self, bank: tuple[str, ...], bucket: str, day: date) -> str | None:
        """A template that fits the time of day and the day of the week, the less used ones more likely so that a
        journal does not repeat itself; None if none fits."""
        weekend = day.weekday() >= 5
        bank = tuple(t for t in bank if not UNFIT[bucket].search(t) and not (weekend and WEEKDAY_ONLY.search(t)))
        if not bank:
            return None
        weights = [1 / (1 + self.uses.get(t, 0)) ** 2 for t in bank]
        template = self.rng.choices(bank, weights=weights)[0]
        self.uses[template] = self.uses.get(template, 0) + 1
        return template

    def topics(self, story_day: int, day: date) -> list[Topic]:
        weekend = day.weekday() >= 5
        available = []
        for topic in (*self.story.topics, WEATHER[SEASONS[day.month]]):
            if not topic.days[0] <= story_day < topic.days[1] or day.month in topic.not_months:
                continue
            if (topic.when == "weekday" and weekend) or (topic.when == "weekend" and not weekend):
                continue
            available.append(topic)
        return available

    def join(self, sentence: str, register: str, previous: str | None) -> str:
        if previous is None or self.rng.random() > 0.3:
            return sentence
        first = re.match(r"[\w'-]+", sentence)
        if first is None or (first.group() not in SUBJECTS and first.group() not in PROPER_NOUNS):
            return sentence
        step = REGISTERS.index(register) - REGISTERS.index(previous)
        connector = self.rng.choice(CONNECTORS[(register, previous) if step == 0 else
                                               "brighter" if step > 0 else "darker"])
        if first.group() in PROPER_NOUNS:
            return connector + sentence
        return connector + sentence[0].lower() + sentence[1:]

    def entry(self, story_day: int, day: date, bucket: str, mood: float, *, last: bool) -> tuple[str, bool]:
        """The text of one entry (the day's milestone opens its last), and whether it touches a health topic.

        An entry keeps mostly to one register, drawn for the day's mood; now and then a sentence of the next one.
        Written in the night, it is a low one that starts with sleep."""
        rng = self.rng
        k = rng.choices((1, 2, 3, 4, 5, 6), weights=(9, 22, 28, 21, 12, 8))[0]
        head = []
        event, tone = self.story.events.get(story_day) if last else None, None
        if event:
            head.append(event[0])
            tone = event[1]
        elif rng.random() < 0.3:
            head.append(rng.choice(OPENERS[bucket]))
        strict = story_day >= self.story.strict_from
        if tone is None:
            tone = "low" if bucket == "night" else _register_of(mood) if strict else \
                rng.choices(REGISTERS, weights=_registers(mood))[0]
        closer = None
        if bucket in ("evening", "night") and rng.random() < 0.25:
            closer = rng.choice(CLOSERS[tone])
        used = sum(_sentences(s) for s in head) + (closer is not None)
        wanted = min(max(k - used, 0 if event else 1), 6 - used)
        available = self.topics(story_day, day)
        chosen: list[Topic] = []
        focus = [name for first_day, end, name, chance in self.story.focus
                 if first_day <= story_day < end and rng.random() < chance]
        if bucket == "night":
            focus.insert(0, "sleep")
        for name in focus[:max(wanted, 1)]:
            chosen += [t for t in available if t.name == name and t not in chosen][:1]
        available = [t for t in available if t not in chosen]
        while len(chosen) < wanted and available:
            weights = [_at(t.weight, story_day) for t in available]
            topic = rng.choices(available, weights=weights)[0]
            available.remove(topic)
            chosen.append(topic)
        body, previous = [], None
        # Past the chosen topics, the others are there in case nothing chosen fits the time of day.
        for n, topic in enumerate(chosen + available + [JOYS]):
            if n >= len(chosen) and (body or event):
                break
            register = tone
            if bucket != "night" and not strict and rng.random() < 0.25:  # a neighbour: never low beside high
                register = "mid" if tone != "mid" else rng.choices(("low", "high"), weights=_registers(mood)[::2])[0]
            template = self.pick(topic.bank(register), bucket, day)
            if template is None:
                continue
            body.append(self.join(self.fill(template), register, previous))
            previous = register
        return " ".join(head + body + ([closer] if closer else [])), any(t.health for t in chosen)


def plan_journal(story: Story, *, today: date, seed: int = 7) -> list[PlannedEntry]:
    """The story's entries from SPAN_DAYS before `today` up to it, oldest first: pure and deterministic."""
    rng = random.Random(f"meditrack-demo:{seed}:{story.email}")
    start = today - timedelta(days=SPAN_DAYS)
    latent, wander = [], 0.0
    for d in range(SPAN_DAYS + 1):
        wander = 0.7 * wander + rng.gauss(0, story.noise)
        latent.append(min(9.6, max(1.3, _at(story.mood, d) + wander)))
    for d, (_, register) in story.events.items():  # a milestone's day feels like the milestone
        latent[d] = min(latent[d], LOW_MOOD - 0.4) if register == "low" else \
            max(latent[d], 6.8) if register == "high" else latent[d]

    # Weighted sampling of entry slots without replacement (Efraimidis-Spirakis): each day has a first slot and a
    # less likely second one; milestone days always have an entry.
    keys = []
    for d in range(SPAN_DAYS + 1):
        weight = _at(story.writing, d) * (story.low_mood_writing if latent[d] < LOW_MOOD else 1.0)
        first = math.inf if d in story.events else rng.random() ** (1 / weight)
        keys += [(first, d, 0), (rng.random() ** (1 / (weight * SECOND_ENTRY)), d, 1)]
    count = rng.randint(*story.count)
    per_day: dict[int, int] = {}
    for _, d, _ in sorted(keys, reverse=True)[:count]:
        per_day[d] = per_day.get(d, 0) + 1

    writer = _Writer(story, rng)
    seen: set[str] = set()
    planned = []
    for d in sorted(per_day):
        day = start + timedelta(days=d)
        if per_day[d] == 2:
            buckets = ["morning", "evening"]
        elif d in story.events:
            buckets = ["evening"]
        else:
            night = story.night if latent[d] < LOW_MOOD else 0.01
            buckets = rng.choices(("morning", "afternoon", "evening", "night"),
                                  weights=(0.38, 0.1, 0.5 - night, night))
        for i, bucket in enumerate(buckets):
            mood = latent[d]
            for _attempt in range(12):
                text, health = writer.entry(d, day, bucket, mood, last=i == len(buckets) - 1)
                if not sounds_like_crisis(text) and text not in seen:
                    break
            else:  # pragma: no cover - the banks are checked by the tests
                raise RuntimeError(f"no new safe entry for {story.email} on {day}")
            seen.add(text)
            lo, hi = HOURS[bucket]
            minute = rng.randint(lo, hi)
            rated = min(10, max(1, round(mood + rng.gauss(0, 0.6)))) if rng.random() < MOOD_SHARE else None
            shared = rng.random() < 0.18 + (0.2 if health else 0.0) + (0.08 if mood < LOW_MOOD else 0.0)
            planned.append(PlannedEntry(day=day, at=time(minute // 60, minute % 60), text=text, mood=rated,
                                        shared=shared))
    return planned


# ---- seeding ------------------------------------------------------------------------------------------------------

def seed_journals(*, today: date | None = None, seed: int = 7) -> int:
    """Give every demo patient who has no journal yet their demo journal; returns the number of entries created.

    Entries that would lie in the future (later today) are left out. Their analyses are created pending; once
    committed, each seeded journal's insights are invalidated and one analysis run is queued per tier (a broker that
    is down makes this fail loudly)."""
    tz = timezone.get_default_timezone()
    now = timezone.now()
    today = today or timezone.localdate()
    entries: list[JournalEntry] = []
    with transaction.atomic():
        users = {u.email: u for u in User.objects.select_for_update()
                 .filter(email__in=[s.email for s in STORIES]).order_by("pk")}
        has_journal = set(JournalEntry.objects.filter(owner__in=users.values()).order_by()
                          .values_list("owner_id", flat=True).distinct())
        seeded = []
        for story in STORIES:
            user = users.get(story.email)
            if user is None or user.pk in has_journal:
                continue
            seeded.append(user)
            for p in plan_journal(story, today=today, seed=seed):
                written_at = datetime.combine(p.day, p.at, tzinfo=tz)
                if written_at > now:
                    continue
                entries.append(JournalEntry(owner=user, text=p.text, mood=p.mood, written_at=written_at,
                                            shared_with_care_team=p.shared,
                                            crisis=bool(crisis_language(p.text))))
        if not entries:
            return 0
        JournalEntry.objects.bulk_create(entries, batch_size=500)
        EntryAnalysis.objects.bulk_create([EntryAnalysis(entry=e) for e in entries], batch_size=500)
        for user in seeded:
            transaction.on_commit(lambda owner_id=user.pk: services.insight_cache_invalidate(owner_id=owner_id))
        for tier in sorted({user.tier for user in seeded}):
            transaction.on_commit(lambda tier=tier: services.analysis_enqueue(tier=tier))
    return len(entries)
