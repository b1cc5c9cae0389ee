"""Demo journals for the six demo patients: about six months of believable entries each, with a storyline.

Every person has a mood curve over the story's days (STORY_DAYS, ending today), a writing habit (how likely an entry
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
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from journal import services
from journal.insights.crisis import crisis_language, sounds_like_crisis
from journal.models import EntryAnalysis, JournalEntry
from meditrack.accounts.models import User

__all__ = ["STORIES", "PlannedEntry", "Story", "plan_journal", "seed_journals"]

STORY_DAYS = 182
MOOD_SHARE = 0.7
# The weight of a second entry on a day, against the first.
SECOND_ENTRY = 0.12
LOW_MOOD = 4.5

Curve = tuple[tuple[int, float], ...]


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
class Topic:
    name: str
    weight: Curve | float
    low: tuple[str, ...] = ()
    mid: tuple[str, ...] = ()
    high: tuple[str, ...] = ()
    days: tuple[int, int] = (0, STORY_DAYS + 1)  # story days it can come up on: [start, end)
    when: str | None = None  # "weekday" or "weekend"
    not_months: tuple[int, ...] = ()
    health: bool = False  # entries about it are more often shared with the care team

    def bank(self, register: str) -> tuple[str, ...]:
        for name in {"low": ("low", "mid", "high"), "mid": ("mid", "low", "high"),
                     "high": ("high", "mid", "low")}[register]:
            if getattr(self, name):
                return getattr(self, name)
        return ()


@dataclass(frozen=True)
class Story:
    email: str
    count: tuple[int, int]  # entries to plan, before any of today's that would lie in the future
    mood: Curve
    writing: Curve  # relative chance of an entry on a day
    low_mood_writing: float  # its multiplier on days below LOW_MOOD: under 1 writes less, over 1 more
    topics: tuple[Topic, ...]
    events: dict[int, tuple[str, str]]  # story day -> (the sentence its last entry opens with, its register)
    fills: dict[str, tuple[str, ...]]
    night: float = 0.02  # share of low days' entries written after midnight
    # (first day, last day + 1, topic, chance): in those days an entry is about that topic first, at that chance.
    focus: tuple[tuple[int, int, str, float], ...] = ()
    # From this story day on, every sentence's register follows the day's mood strictly: a trend reads clearly.
    strict_from: int = STORY_DAYS + 1
    noise: float = 0.35


@dataclass(frozen=True)
class PlannedEntry:
    day: date
    at: time
    text: str
    mood: int | None
    shared: bool


# ---- shared banks -------------------------------------------------------------------------------------------------

COMMON_FILLS: dict[str, tuple[str, ...]] = {
    "hours_bad": ("three", "four", "four and a half", "five"),
    "hours_mid": ("six", "six and a half", "about six"),
    "hours_good": ("seven", "eight", "nearly eight"),
    "meal": ("lentil soup", "a big salad", "pasta with pesto", "leftover curry", "eggs on toast",
             "a vegetable stir-fry", "roast chicken and potatoes", "a tomato and bean stew", "fish with rice",
             "homemade pizza"),
    "show": ("a cooking programme", "an old detective series", "a documentary about octopuses", "a silly comedy",
             "a nature documentary", "a quiz show", "a film we had both seen before"),
    "joy": ("a robin sitting on the fence while I had my coffee", "fresh bread still warm from the bakery",
            "a long message from an old friend", "the first cup of coffee of the day", "clean sheets on the bed",
            "a stranger holding the door and smiling", "a song I loved as a teenager coming on the radio",
            "finding a favourite pen I thought I had lost", "a really good orange", "a hot bath with a book",
            "the neighbour's cat coming to say hello", "a parcel I had forgotten I ordered"),
}

JOYS = Topic("small joys", 0.5,
             low=("The one good thing today was {joy}.", "Small mercy: {joy}."),
             mid=("Small thing, but {joy} made me smile.", "Nice moment today: {joy}."),
             high=("Lovely little moment today: {joy}.", "Grateful for {joy}.", "What made my day: {joy}."))

# Northern hemisphere seasons by month.
SEASONS = {12: "winter", 1: "winter", 2: "winter", 3: "spring", 4: "spring", 5: "spring", 6: "summer", 7: "summer",
           8: "summer", 9: "autumn", 10: "autumn", 11: "autumn"}
WEATHER: dict[str, Topic] = {
    "winter": Topic("weather", 0.45,
                    low=("It was dark by half past four and grey all day, which didn't help.",
                         "Freezing wind this morning and I just wanted to stay under the duvet.",
                         "Another day of cold drizzle."),
                    mid=("Frost on the car again this morning.", "Cold, still day.", "It tried to snow but gave up."),
                    high=("Crisp blue sky today and the cold felt good for once.",
                          "Lovely winter sunshine at lunchtime, I stood in it like a cat.")),
    "spring": Topic("weather", 0.45,
                    low=("Grey and wet again, spring is taking its time.", "Cold rain all day."),
                    mid=("Showers on and off all day.", "The evenings are getting lighter."),
                    high=("The blossom is out on our street and it looks wonderful.",
                          "First properly warm day of the year, I sat outside with my tea.")),
    "summer": Topic("weather", 0.45,
                    low=("Too hot and sticky to do much of anything.", "The heat made everything harder today.",
                         "Muggy and heavy all day, with a headache to match."),
                    mid=("Warm again today.", "A thunderstorm in the afternoon cleared the air a bit.",
                         "Cloudy but warm."),
                    high=("Long light evening, I sat outside until nearly ten.", "Gorgeous sunny day.",
                          "Warm evening with the windows open and the swifts screaming overhead.")),
    "autumn": Topic("weather", 0.45,
                    low=("Rain all day and dark early.", "Grey, wet and windy, a proper miserable day."),
                    mid=("The leaves are really turning now.", "Foggy morning, cleared up later.",
                         "Chilly enough for the heating to come on."),
                    high=("Beautiful crisp autumn morning, all gold leaves and blue sky.",
                          "Kicked through piles of leaves on the way home like a child.")),
}

OPENERS = {
    "morning": ("Morning.", "Quick one before the day starts.", "Early start today.", "Writing this over breakfast.",
                "Slow morning."),
    "afternoon": ("Lunch break.", "Quick note at lunch.", "Afternoon."),
    "evening": ("Evening.", "End of the day.", "Writing this in bed.", "Quiet evening at home.", "Long day."),
    "night": ("It's gone one and I'm still awake.", "Middle of the night and my brain won't switch off.",
              "Can't sleep, so I'm writing instead."),
}
CLOSERS = {
    "low": ("Hoping tomorrow is better.", "Going to try to rest now.", "That's all I've got today.",
            "Tomorrow is another day, I suppose."),
    "mid": ("That's it for today.", "We'll see how tomorrow goes.", "Early night, I think."),
    "high": ("Good day.", "Grateful for today.", "More days like this, please.", "A good one."),
}
HOURS = {"morning": (6 * 60 + 10, 9 * 60 + 40), "afternoon": (12 * 60 + 5, 14 * 60 + 30),
         "evening": (18 * 60 + 30, 23 * 60 + 15), "night": (10, 2 * 60 + 50)}


# ---- the six people -----------------------------------------------------------------------------------------------

MARIA = Story(
    email="maria.garcia@meditrack.local",
    count=(118, 138),
    # A hard stretch as the arthritis flares and her medication stops working, then recovery after a new one.
    mood=((0, 6.2), (30, 5.8), (45, 4.6), (60, 3.3), (80, 3.0), (92, 3.2), (100, 4.0), (112, 5.4), (125, 6.4),
          (135, 6.6), (140, 5.6), (146, 6.6), (160, 7.2), (182, 7.6)),
    writing=0.8,
    low_mood_writing=0.6,
    fills={"husband": ("Andrés",), "pain_hi": ("7", "8", "7 or 8"), "pain_mid": ("4", "5"), "pain_lo": ("2", "3"),
           "friend": ("Rosa", "Pilar", "Elena")},
    events={
        1: ("Starting this journal because the nurse at the rheumatology clinic suggested keeping track of my days.",
             "mid"),
        44: ("The flare started this week and it doesn't want to let go.", "low"),
        70: ("Blood test results came back and the inflammation markers are up again.", "low"),
        92: ("Appointment with Dr Okafor today, she is starting me on a new medication, an injection every two weeks.",
             "mid"),
        106: ("First real sign the new medication is working: I made coffee this morning without any pain.", "high"),
        125: ("Follow-up at the clinic, my bloods look much better and Dr Okafor was pleased.", "high"),
        160: ("Went back to my Pilates class, the gentle one, and managed the whole hour.", "high"),
    },
    topics=(
        Topic("joints", ((0, 1.2), (40, 2.0), (100, 2.0), (130, 1.0), (182, 0.8)), health=True,
              low=("My hands were so stiff this morning that I couldn't do up the buttons on my blouse.",
                   "Both wrists are swollen and hot again, and the pain was {pain_hi} out of 10 most of the day.",
                   "I couldn't open a jar of tomatoes and ended up crying in the kitchen over something so small.",
                   "The stiffness took until almost eleven to ease off.",
                   "My knees ached on the stairs at work and I had to stop halfway.",
                   "Everything aches today, my fingers, my shoulders, even my feet.",
                   "I dropped a mug this morning because my fingers just gave way."),
              mid=("Hands a bit stiff first thing but they loosened up after a warm shower.",
                   "Some aching in my knuckles this evening, nothing dramatic.",
                   "Joints about {pain_mid} out of 10 today.",
                   "My right wrist is grumbling but I can live with it.",
                   "Did my hand exercises with the putty while the kettle boiled."),
              high=("Barely any stiffness this morning, which still feels like a small miracle.",
                    "I opened a jar by myself today and laughed out loud.",
                    "Pain about {pain_lo} out of 10, the lowest in months.",
                    "My hands felt almost normal when I was kneading bread.",
                    "Walked up the stairs at the library without thinking about my knees once.")),
        Topic("old medication", 0.8, days=(0, 92), health=True,
              low=("I keep taking the tablets every week but I honestly can't tell if they are doing anything.",
                   "Tablet day always leaves me queasy and washed out.",
                   "Had to take extra painkillers tonight just to get comfortable."),
              mid=("Took my weekly tablets with dinner as usual.",
                   "Remembered my folic acid, which I nearly always forget.",
                   "Picked up my prescription from the pharmacy on the way home."),
              high=("The medication seems to be holding things steady for now.",)),
        Topic("new medication", ((92, 2.5), (115, 1.2), (182, 0.7)), days=(93, STORY_DAYS + 1), health=True,
              low=("The injection site is red and itchy and I felt a bit sick this afternoon.",
                   "Injection day again and I was nervous about it all morning.",
                   "Still not sure the new medication is working, and the waiting is hard."),
              mid=("Did the injection myself this evening, my hands were steady enough.",
                   "Injection done, a small sting and then nothing.",
                   "Logged the injection in the app so I don't lose track."),
              high=("I think the new medication is really working, the mornings are so much easier.",
                    "Injection day is just routine now, which is exactly what I wanted.",
                    "Changing the treatment was the right call, I feel like myself again.")),
        Topic("sleep", 0.9,
              low=("I slept badly because my shoulder woke me every time I turned over.",
                   "Lay awake from three until the alarm, thinking about everything at once.",
                   "Another broken night and I'm exhausted."),
              mid=("Slept on and off, {hours_mid} hours in total.", "Woke once in the night but went back to sleep."),
              high=("Slept right through for the first time in ages.",
                    "Eight hours of proper sleep and I feel human.",
                    "Had a lovely long sleep and woke before the alarm.")),
        Topic("library", 1.0, when="weekday",
              low=("I had to leave my shift at the library early because I couldn't lift the returns crates.",
                   "Called in sick to the library again and felt guilty all day.",
                   "Shelving was hard work today, every book felt heavy."),
              mid=("Quiet afternoon at the library, mostly cataloguing.",
                   "Story time with the little ones at the library this morning, they were wild.",
                   "Half day at work, then home to rest."),
              high=("Back on my full shifts at the library and I managed them fine.",
                    "Ran the reading club today and we laughed a lot about the book.",
                    "A regular at the library brought me flowers because she had noticed I was back.")),
        Topic("family", 1.0,
              low=("{husband} is being so patient with me and somehow that makes me feel worse.",
                   "Lucía called and I pretended everything was fine.",
                   "I snapped at {husband} over nothing and then apologised.",
                   "Missed lunch at my sister Carmen's because I was too tired."),
              mid=("{husband} made dinner and we watched {show}.",
                   "Long call with my sister Carmen about our mother's birthday plans.",
                   "Pablo came round to fix the washing machine and stayed for coffee."),
              high=("Lucía came home for the weekend and we cooked together all afternoon.",
                    "Big family lunch at Carmen's, noisy and lovely.",
                    "{husband} and I danced in the kitchen to an old song, like we used to.")),
        Topic("walks", 0.8,
              low=("{husband} had to take Canela out because I couldn't manage the lead.",
                   "Canela keeps bringing me her lead and I had to say no again."),
              mid=("Short walk round the block with Canela.", "Took Canela to the park for twenty minutes."),
              high=("Long walk with Canela by the river, almost an hour.",
                    "Canela and I walked all the way to the bakery and back.",
                    "Met {friend} in the park with the dogs and we walked and talked for ages.")),
        Topic("feelings", 1.0,
              low=("I feel like a shadow of myself lately.",
                   "I cried in the shower this morning and I'm not even sure why.",
                   "Everything feels heavy and grey and I have no energy for anyone.",
                   "I'm tired of being tired.",
                   "I cancelled coffee with {friend} again, I just couldn't face it."),
              mid=("Not a bad day, not a great one.", "Felt a bit flat but got through it.",
                   "Coffee with {friend}, which was nice, though I was tired afterwards."),
              high=("I feel lighter than I have in months.", "Genuinely happy today.",
                    "I caught myself humming while I cooked, which I haven't done in a long time.",
                    "Coffee with {friend} and we talked for two hours, I didn't want it to end.")),
        Topic("cooking", 0.6,
              low=("I couldn't face cooking so we had toast for dinner.",),
              mid=("Made {meal} for dinner.", "Batch-cooked soup for the week."),
              high=("Made my mother's paella recipe and it came out perfectly.",
                    "Baked bread for the first time in months.")),
        JOYS,
    ),
)

JAMES = Story(
    email="james.chen@meditrack.local",
    count=(116, 134),
    # Fine for months; a big project, longer hours and worse sleep; a calmer week, then the launch date moves and
    # the last fortnight falls clearly.
    mood=((0, 7.0), (60, 7.3), (100, 7.0), (112, 6.4), (130, 6.0), (150, 5.4), (160, 6.4), (168, 7.0),
          (182, 2.0)),
    writing=((0, 0.55), (110, 0.7), (150, 0.9), (166, 1.4), (169, 6.0), (182, 6.0)),
    low_mood_writing=1.3,
    night=0.25,
    noise=0.2,
    focus=((170, STORY_DAYS + 1, "sleep", 0.7),),
    strict_from=166,
    fills={"partner": ("Mei",), "friend": ("Dev", "Sarah", "Aisha"), "manager": ("Priya",),
           "project": ("the payments migration", "the migration", "the cut-over plan"),
           "km": ("8", "10", "12", "6")},
    events={
        1: ("Starting a journal, my GP suggested it when I went in about my blood pressure.", "mid"),
        112: ("Found out today that I'm leading the payments migration, with a deadline that looks impossible.", "low"),
        150: ("Priya announced she is leaving at the end of the month, and half her work is landing on my desk.",
             "low"),
        170: ("The launch date moved forward by a week and I felt my stomach drop.", "low"),
        175: ("I was on call again and got paged four times in one night.", "low"),
    },
    topics=(
        Topic("work", 1.0, days=(0, 110), when="weekday",
              low=("Frustrating day, the test environment was down for hours.",
                   "Too many meetings, my head is spinning.", "Stayed late to fix a bug I caused this morning."),
              mid=("Long day but the release went out.", "Mostly meetings today, not much real work done.",
                   "Reviewed a pile of pull requests and cleared my backlog a bit.",
                   "Busy sprint, but the team is in good spirits."),
              high=("Shipped the feature I've been working on for weeks and it went smoothly.",
                    "Good one-to-one with {manager}, she said my team is doing great work.",
                    "Left work at five, ignored my phone and had a lovely relaxed evening.",
                    "Really productive, happy focus day with no meetings.",
                    "Team lunch by the river, lots of laughs.")),
        Topic("crunch", ((110, 1.8), (150, 2.4), (168, 2.8), (182, 3.2)), days=(110, STORY_DAYS + 1),
              low=("Another twelve-hour day on {project} and we're still behind, I feel awful.",
                   "Stressful day, three incident calls back to back and no lunch until four.",
                   "The deadline moved again and nobody asked us, I'm furious and exhausted.",
                   "I feel completely overwhelmed at work and I'm dreading tomorrow.",
                   "Horrible day, {project} fell over in testing and everyone looked at me.",
                   "I'm exhausted and stressed and I can't switch off.",
                   "My inbox was at two hundred unread and I felt totally overwhelmed.",
                   "I snapped at someone in standup and felt awful about it afterwards.",
                   "Worked until midnight again and I feel completely burned out.",
                   "The pressure at work is relentless and I hate what it's doing to me.",
                   "Spent the whole evening fixing a failed deployment instead of having dinner with {partner}.",
                   "Checked work messages in bed again, tense and my stomach in knots.",
                   "Every time I close one problem on {project} two more appear.",
                   "I'm so stressed about {project} that I feel sick."),
              mid=("Made some progress on {project} today, still a mountain to climb.",
                   "Planning meeting for {project} ran two hours over, but at least we have a plan.",
                   "Decent day, the migration tests finally passed.",
                   "Long day on {project}, but the team pulled together."),
              high=("We hit a milestone on {project} today and the team celebrated with pizza.",
                    "Lovely calm day at work, I even left on time.",
                    "Great feedback from the director on {project}, that felt really good.",
                    "Relaxed lunch with the team for the first time in weeks, lots of laughs.",
                    "The worst of {project} finally feels behind us and I'm relieved and happy.")),
        Topic("sleep", ((0, 0.5), (110, 0.9), (150, 1.5), (168, 3.0), (182, 3.4)),
              low=("Couldn't sleep again, my mind kept replaying the day and I feel wrecked.",
                   "Lay awake until after two, dreading tomorrow's meetings.",
                   "I keep waking up in the middle of the night, anxious about work.",
                   "I'm exhausted, I haven't slept properly in days.",
                   "Slept maybe {hours_bad} hours and woke up with a headache.",
                   "Woke up at 4 with my heart racing and lay there feeling miserable until the alarm.",
                   "Another restless night, tossing and turning.",
                   "Barely slept, I was up half the night checking alerts and I feel dreadful.",
                   "I keep waking up in the middle of the night worrying about work, it's awful.",
                   "My sleep is a mess at the moment.",
                   "Third night in a row I couldn't get to sleep before two."),
              mid=("Slept okay, {hours_mid} hours.", "Went to bed a bit late, but slept fine.",
                   "Woke once but got enough sleep, fine."),
              high=("Slept a solid {hours_good} hours and woke up feeling great.",
                    "Great sleep after the long run.", "Early night and a proper rest.")),
        Topic("exercise", ((0, 1.4), (110, 1.2), (150, 0.6), (182, 0.3)),
              low=("Skipped my run again, no energy at all.",
                   "Haven't been to the climbing gym in weeks and I miss it.",
                   "Tried to run but my legs felt like concrete and I gave up after a kilometre, miserable."),
              mid=("Easy 5k along the river.", "Climbing with {friend}, couldn't finish the route I wanted.",
                   "Short easy run before work, felt fine."),
              high=("Ran {km} km along the river this morning and felt amazing.",
                    "Finally climbed the route at the gym that I'd been working on for weeks.",
                    "Ran a personal best on my usual loop this morning, I'm buzzing.",
                    "Bouldering with {friend} after work, my forearms are done but I'm happy.")),
        Topic("home", 1.0,
              low=("{partner} asked if I'm okay and I snapped at her, I feel terrible.",
                   "Barely spoke to {partner} all evening, I was too tired.",
                   "Missed dinner with {partner}'s parents because of work and she was upset.",
                   "Cancelled on {friend} again, I feel like a terrible friend."),
              mid=("Takeaway and a film with {partner}.", "Did the weekly shop with {partner}.",
                   "Nice call with my parents, Dad's new hobby is sourdough."),
              high=("Cooked dumplings with {partner} from her grandmother's recipe, a lovely evening.",
                    "Wonderful weekend away in the hills with {partner}, no laptop.",
                    "Board games with {friend} and {partner}, we laughed till midnight.")),
        Topic("health", ((0, 0.5), (150, 0.9), (182, 1.4)), health=True,
              low=("Headache that wouldn't shift all afternoon.",
                   "My blood pressure reading tonight was higher than it's been in months, which worries me.",
                   "Living on coffee and crisps at the moment, I know it's bad.",
                   "My jaw aches from clenching my teeth.",
                   "Forgot my blood pressure tablet this morning because I was rushing."),
              mid=("Took my blood pressure tablet and the reading was fine.",
                   "Remembered to drink water for once."),
              high=("Blood pressure reading was spot on this morning, really pleased.",
                    "Feeling strong and healthy lately.")),
        Topic("feelings", ((0, 0.7), (150, 1.1), (182, 1.6)),
              low=("I feel like I'm running on empty and it's getting worse.",
                   "I'm stressed all the time and I can't switch off.",
                   "Everything feels like too much right now and I'm so tired.",
                   "I'm on edge all the time and everything irritates me.",
                   "I feel miserable and short-tempered, and I don't recognise myself.",
                   "I'm anxious and irritable and I hate feeling like this.",
                   "I know this pace isn't sustainable and it scares me."),
              mid=("Bit flat today.", "Okay day.", "Nothing much to report, a steady day."),
              high=("Feeling pretty good about things.", "Content evening.",
                    "Life feels good and balanced at the moment.")),
        replace(JOYS, days=(0, 166)),
    ),
)

FATIMA = Story(
    email="fatima.hassan@meditrack.local",
    count=(120, 140),
    # Steady and positive, with a bad fortnight: her mother's fall and her own chest infection.
    mood=((0, 7.4), (117, 7.6), (119, 4.4), (125, 3.6), (130, 4.6), (134, 6.4), (140, 7.5), (182, 7.8)),
    writing=0.8,
    low_mood_writing=1.4,
    fills={"husband": ("Yusuf",), "friend": ("Nadia", "Jo", "Samira")},
    events={
        1: ("My diabetes nurse suggested a journal to go with my blood sugar diary, so here goes.", "mid"),
        118: ("Mum had a fall this morning and is in hospital with a broken wrist.", "low"),
        121: ("The doctor says I have a chest infection, antibiotics for a week.", "low"),
        126: ("My sugars have been all over the place with the infection and the worry.", "low"),
        133: ("Mum is home from hospital and I finally slept properly.", "mid"),
        160: ("Annual diabetes review today and my HbA1c is the best it has been in years.", "high"),
    },
    topics=(
        Topic("school", 1.2, when="weekday", not_months=(8,),
              low=("I was so behind on marking that I stayed at school until seven.",
                   "Couldn't concentrate in class today, the children noticed.",
                   "A parent complained about homework and it upset me more than it should have."),
              mid=("Busy day at school, the Year 4s were full of energy.", "Staff meeting ran long but fine.",
                   "Spent the evening planning next week's lessons."),
              high=("Lovely day at school, the class finally understood fractions and cheered.",
                    "One of my quieter pupils read her story to the whole class, I was so proud.",
                    "School trip to the museum, exhausting but wonderful.")),
        Topic("holidays", 1.2, when="weekday", not_months=(1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12),
              low=("The holidays are not feeling much like a break this week.",),
              mid=("Holiday week, pottering about and sorting the kids' wardrobes.",
                   "Took the kids to the library to choose books for the holidays."),
              high=("Day out at the seaside with the kids, everyone sandy and happy.",
                    "Slow holiday morning, pancakes and no alarm.")),
        Topic("diabetes", 1.0, health=True,
              low=("Blood sugar was high all day and I don't know why.",
                   "My readings were over 12 after dinner even though I was careful.",
                   "I forgot my metformin this morning in the rush and felt off all day."),
              mid=("Readings all in range today.",
                   "Took my metformin with breakfast and checked my sugar before lunch.",
                   "Fasting sugar a little high at 7.4 this morning."),
              high=("My readings have been lovely and steady all week.",
                    "Diabetes nurse was really pleased with my numbers.",
                    "Sugar was 5.8 after my walk, which is perfect.")),
        Topic("walking group", 1.2, when="weekend",
              low=("Missed the walking group because I felt rotten.",),
              mid=("Walking group this morning, a short route because of the mud.",),
              high=("Ten kilometres with the walking group this morning and coffee and cake after.",
                    "Walking group up to the reservoir, the views were beautiful.",
                    "New member at the walking group, we chatted the whole way round.")),
        Topic("family", 1.3,
              low=("Amira and Zayd fought all evening and I had no patience left.",
                   "Spent the evening at the hospital with Mum and came home drained.",
                   "{husband} did bedtime on his own because I could barely keep my eyes open."),
              mid=("Homework battles with Zayd, as usual.", "{husband} cooked and I did the washing up.",
                   "Visited Mum after school, she sends her love to the kids."),
              high=("Amira got a certificate at school for kindness and we celebrated with ice cream.",
                    "Family film night with popcorn, Zayd fell asleep halfway through.",
                    "Lovely dinner at Mum's with everyone squeezed round the table.",
                    "{husband} surprised me with flowers for no reason.")),
        Topic("garden", 0.7, when="weekend",
              low=("The allotment is getting away from me and I haven't had the energy to go.",),
              mid=("Did some weeding at the allotment.", "Planted garlic at the allotment for next year."),
              high=("Picked a whole basket of tomatoes at the allotment.",
                    "Zayd helped me dig potatoes at the allotment and thought it was treasure hunting.")),
        Topic("calm", 0.8,
              low=("Tried to pray and sit quietly this morning but my mind kept racing.",
                   "I'm worried about Mum and can't settle to anything."),
              mid=("Prayed and sat quietly with my tea before anyone woke up.", "Quiet evening reading."),
              high=("Peaceful morning, prayer and tea before the house woke up.",
                    "Feeling very blessed with my little family.", "Content and calm this evening.")),
        Topic("sleep", 0.6,
              low=("Coughed half the night and barely slept.", "Lay awake worrying about Mum."),
              mid=("Slept fine.", "Bit of a short night, {hours_mid} hours."),
              high=("Slept beautifully.", "Early night and slept right through.")),
        Topic("friends", 0.6,
              low=("{friend} brought round soup, I was too tired to talk much but it meant a lot.",),
              mid=("Quick catch-up with {friend} at the school gate.",),
              high=("Coffee with {friend} after drop-off, we laughed so much.",
                    "Dinner with {friend} and her family, the kids ran wild in the garden.")),
        JOYS,
    ),
)

TOM = Story(
    email="tom.muller@meditrack.local",
    count=(118, 140),
    # Chronic back pain at a middling level, four flare-ups, a little better with hydrotherapy and pacing.
    mood=((0, 5.6), (17, 5.5), (20, 3.4), (25, 3.6), (28, 5.3), (54, 5.6), (57, 3.2), (63, 3.5), (67, 5.4), (96, 5.6),
          (99, 2.6), (106, 2.6), (111, 4.6), (118, 5.8), (139, 6.0), (142, 4.4), (147, 4.8), (150, 6.0),
          (182, 6.4)),
    writing=0.65,
    low_mood_writing=1.7,
    night=0.12,
    fills={"wife": ("Anke",), "friend": ("Jürgen", "Klaus"), "pain_hi": ("7", "8", "7 or 8"), "pain_mid": ("4", "5"),
           "pain_lo": ("2", "3"), "minutes": ("20", "30", "40")},
    events={
        1: ("Dr Weber wants me to keep a pain and mood diary, so this is it.", "mid"),
        19: ("The back went again while I was lifting a bag of compost, here we go.", "low"),
        56: ("Woke up with the nerve pain shooting down my left leg again.", "low"),
        98: ("Worst flare-up this year, I could barely get out of bed.", "low"),
        103: ("Dr Weber increased the nerve pain tablets and signed me off work for a week.", "low"),
        114: ("Started hydrotherapy at the pool today, strange but nice.", "mid"),
        141: ("Twinge in the back while gardening, so I am pacing myself this time.", "mid"),
        165: ("Finished the bird box for Finn and he painted it blue.", "high"),
    },
    topics=(
        Topic("pain", ((0, 2.0), (182, 1.6)), health=True,
              low=("Back pain at {pain_hi} out of 10 today, and sitting, standing or lying down, nothing helps.",
                   "The pain runs down my left leg into the foot and it burns.",
                   "Couldn't put my socks on without help this morning.",
                   "Spent most of the day lying flat on the floor, it is the only position that helps.",
                   "Every step to the bathroom is a negotiation with my back.",
                   "The flare-up is grinding me down."),
              mid=("Back pain about {pain_mid} out of 10 today, the usual dull ache.",
                   "Stiff in the morning, better after moving around.",
                   "Some pain after sitting too long in the car.",
                   "Pain manageable today with the heat pad."),
              high=("Pain only {pain_lo} out of 10 today, a rare good day.",
                    "Hardly noticed my back all day.",
                    "Bent down to tie my shoes without thinking, that hasn't happened for a while.")),
        Topic("physio", 1.0, health=True,
              low=("Couldn't manage my physio exercises today, everything seized up.",
                   "Physio with Markus was tough, he had to stop twice."),
              mid=("Did my physio exercises morning and evening.", "Physio session, new stretches for the hips.",
                   "Walked for {minutes} minutes, as the physio says, slowly but steady."),
              high=("Physio said my core is much stronger than in spring.",
                    "Walked for {minutes} minutes without stopping, best in months.",
                    "Hydrotherapy again, I could move in the water like a young man.")),
        Topic("medication", 0.7, health=True,
              low=("Took the maximum dose of painkillers today and it still wasn't enough.",
                   "The nerve pain tablets make me foggy and dizzy in the mornings."),
              mid=("Took the nerve pain tablets at night as usual.",
                   "Ibuprofen with breakfast and the gel on my back."),
              high=("Didn't need any extra painkillers today.",)),
        Topic("sleep", 0.9,
              low=("Couldn't sleep for the pain, I got up at three and sat in the armchair.",
                   "Kept waking every time I turned over.", "Bad night, the leg pain kept me awake."),
              mid=("Slept reasonably, {hours_mid} hours with a pillow between my knees.",
                   "Woke up twice but got back to sleep."),
              high=("Slept the whole night, I can't remember the last time.", "Good sleep, woke up rested.")),
        Topic("work", 0.9, when="weekday",
              low=("Had to leave the store early, I couldn't stand at the counter any longer.",
                   "Called the store and told them I can't come in this week."),
              mid=("Half shift at the hardware store, mostly advising customers about paint.",
                   "Quiet day at the store."),
              high=("Good shift at the store, I helped a young couple plan their first kitchen shelves.",
                    "The boss asked me to train the new apprentice, that felt good.")),
        Topic("workshop", 0.8,
              low=("I miss the workshop, standing at the bench is too much right now.",),
              mid=("Pottered in the workshop for half an hour, sanding.", "Sharpened my chisels, a calm job."),
              high=("Two good hours in the workshop on the bird box for Finn.",
                    "Made a cutting board from the old oak offcuts, it came out beautifully.")),
        Topic("family", 1.0,
              low=("{wife} has to do everything at the moment and I feel useless.",
                   "Had to tell Finn I can't play football with him this weekend."),
              mid=("{wife} and I watched {show}.", "Jana phoned from Hamburg, all well there.",
                   "Watched the football with {friend}."),
              high=("Finn stayed over, we built a den out of blankets, and I could sit on the floor with him.",
                    "Long walk with {wife} and a cake at the café halfway.",
                    "Dinner out with {wife} for our anniversary, a lovely evening.")),
        Topic("feelings", 0.8,
              low=("I'm fed up with this back and everything it stops me doing.",
                   "Grumpy all day and I know I'm hard to be around.",
                   "Some days I feel old before my time."),
              mid=("A normal day, which is fine by me.", "Nothing special to report."),
              high=("Felt almost like my old self today.", "Good mood all day, even the rain didn't bother me.")),
        JOYS,
    ),
)

CLAIRE = Story(
    email="claire.dubois@meditrack.local",
    count=(122, 146),
    # Anxiety that improves with therapy and walks, a setback before a big presentation, then steadier.
    mood=((0, 3.6), (20, 3.8), (40, 4.6), (60, 5.4), (90, 6.2), (104, 6.3), (108, 4.2), (112, 4.6), (114, 6.6),
          (140, 7.0), (182, 7.8)),
    writing=((0, 1.0), (60, 0.8), (182, 0.6)),
    low_mood_writing=1.3,
    night=0.1,
    fills={"flatmate": ("Inès",), "friend": ("Léa", "Tom", "Mathilde"), "minutes": ("20", "30", "forty-five")},
    events={
        1: ("Started this journal today, it is part of trying to get a handle on my anxiety.", "mid"),
        3: ("Had a panic attack on the metro this morning and had to get off two stops early.", "low"),
        21: ("First session with my new therapist today, I was so nervous but she was kind.", "mid"),
        35: ("Therapy homework: write down the anxious thought and then what actually happened.", "mid"),
        64: ("Walked by the canal every day this week, I think it's really helping.", "high"),
        106: ("Found out I have to present the rebrand to the whole client board next week and my chest went tight.",
             "low"),
        113: ("I did the presentation and it went well, I can hardly believe it.", "high"),
        130: ("First pottery class, my bowl is wonky and I love it.", "high"),
        170: ("My therapist and I agreed to move to sessions every two weeks.", "high"),
    },
    topics=(
        Topic("anxiety", ((0, 2.2), (60, 1.4), (182, 0.9)), health=True,
              low=("My heart was pounding all morning for no reason at all.",
                   "I felt anxious from the moment I woke up and it never really let go.",
                   "Avoided a phone call from the bank all day because the thought of it made me panic.",
                   "Spiralled about an email I sent, reread it twenty times.",
                   "Had that tight feeling in my chest on the bus and counted the stops until I could get off.",
                   "The worry voice was loud today, every little thing felt like a catastrophe."),
              mid=("A bit anxious in the morning, but it passed by lunch.",
                   "Noticed the anxious thoughts and let them go past, mostly.",
                   "Used the breathing exercise before the meeting and it took the edge off."),
              high=("Realised at dinner I hadn't felt anxious once all day.",
                    "Made a phone call I'd been dreading and it was fine, completely fine.",
                    "Felt calm and present in the meeting, I even spoke up twice.")),
        Topic("therapy", ((21, 1.4), (120, 0.9), (182, 0.7)), days=(21, STORY_DAYS + 1), health=True,
              low=("Therapy was hard today, we talked about my dad and I cried the whole hour.",
                   "Didn't do my therapy homework and felt like I was failing at getting better."),
              mid=("Therapy session, we worked on catching the what-if thoughts.",
                   "Filled in my thought record on the bus home.",
                   "Practised the grounding exercise from therapy, five things I can see."),
              high=("Good therapy session, she pointed out how far I've come since the start.",
                    "My thought record this week is mostly things that went better than I feared.",
                    "Therapy felt more like a chat than work today, in a good way.")),
        Topic("walks", ((0, 0.6), (50, 1.5), (182, 1.4)),
              low=("Forced myself out for a short walk, it helped a little.",),
              mid=("Walk along the canal at lunch, {minutes} minutes.", "Walked home instead of taking the metro."),
              high=("Long walk by the canal after work, the light on the water was beautiful.",
                    "Walked with {friend} along the canal and we got croissants on the way back.",
                    "Saw a heron by the canal lock, it stood there like a statue.")),
        Topic("work", 1.1, when="weekday",
              low=("My manager asked for changes at five o'clock and I panicked about the deadline.",
                   "Couldn't focus on the design at all, kept redoing the same screen.",
                   "Felt like everyone in the studio could see how nervous I was."),
              mid=("Long day at the studio working on the rebrand.", "Client call went okay.",
                   "Designed three versions of the same poster, the client will probably pick the first one."),
              high=("The client loved my concepts for the new packaging.",
                    "Good day in the studio, we played music and I got into a proper flow.",
                    "My manager said my work on the rebrand was the best in the team.")),
        Topic("sleep", 0.8,
              low=("Lay awake with my thoughts racing until almost three.",
                   "Woke up at 4 with my heart thumping and couldn't settle again."),
              mid=("Slept okay, {hours_mid} hours.", "Took a while to drop off but slept after that."),
              high=("Slept deeply and woke up before the alarm.", "Eight hours and no racing thoughts at bedtime.")),
        Topic("people", 1.0,
              low=("Cancelled drinks with {friend} because I couldn't face the crowd.",
                   "My sister Margaux called and I let it ring out."),
              mid=("{flatmate} and I made {meal} and watched {show}.", "Called Margaux, she's moving flat next month.",
                   "Short coffee with {friend}."),
              high=("Went to {friend}'s birthday in a busy bar and actually enjoyed it.",
                    "Dinner with Margaux, we talked for hours.", "{flatmate} and I had a dance in the kitchen.")),
        Topic("home", 0.6,
              low=("Stayed in with the curtains shut and Pistache on my lap all afternoon.",),
              mid=("Pistache woke me at six for breakfast, as usual.", "Cleaned the flat and put on a podcast."),
              high=("Pistache fell asleep on my drawing tablet and I didn't have the heart to move her.",
                    "Bought flowers at the market for the kitchen table.")),
        Topic("pottery", 0.9, days=(131, STORY_DAYS + 1),
              mid=("Pottery class, I'm still fighting the wheel.",),
              high=("Pottery class, my first mug that doesn't lean.",
                    "Glazed my bowls in blue, can't wait to see them.",
                    "Pottery class is my favourite two hours of the week.")),
        JOYS,
    ),
)

SAM = Story(
    email="sam.okoro@meditrack.local",
    count=(124, 150),
    # Months of odd symptoms, a type 1 diabetes diagnosis, a hard first month, then adjusting and doing well.
    mood=((0, 5.4), (16, 4.3), (18, 2.8), (30, 3.2), (45, 4.4), (70, 5.3), (74, 4.2), (80, 5.4), (90, 6.4),
          (120, 7.1), (134, 6.0), (138, 7.0), (182, 7.4)),
    writing=((0, 0.6), (16, 1.3), (45, 1.1), (80, 0.75), (182, 0.7)),
    low_mood_writing=1.1,
    night=0.05,
    fills={"friend": ("Kofi", "Dan", "Kofi and Dan"), "reading": ("14", "16", "18", "over 20"),
           "low_reading": ("3.1", "3.4", "2.9")},
    events={
        1: ("Starting this journal to keep track of how rubbish I've been feeling lately.", "low"),
        10: ("Went to the GP about being thirsty all the time and losing weight, they took bloods.", "low"),
        17: ("The GP called me in and sent me straight to hospital, it's type 1 diabetes.", "low"),
        19: ("Home from hospital with a bag full of pens, needles and leaflets.", "low"),
        26: ("First hypo today at work, shaking and sweaty, had to sit on the floor with a juice box.", "low"),
        44: ("Saw the diabetes nurse, Grace, again and she said I'm doing better than I think.", "mid"),
        90: ("Got my glucose sensor today, no more finger pricks every few hours.", "high"),
        120: ("Played five-a-side for the first time since the diagnosis and my levels stayed fine.", "high"),
        150: ("Finished the carb counting course, I actually understand what I'm doing now.", "high"),
        158: ("HbA1c came back way down and the consultant was really pleased.", "high"),
    },
    topics=(
        Topic("symptoms", 2.5, days=(0, 17), health=True,
              low=("I'm thirsty all the time, I drank about three litres today and still wanted more.",
                   "Up three times in the night to pee again.", "Lost another kilo without trying.",
                   "So tired at work I nearly nodded off at the bench.", "My eyes have been blurry all afternoon."),
              mid=("Still really thirsty, but I had a decent day.", "Tired again, probably just working too much."),
              high=("Felt more like myself today, maybe it was just a bug.",)),
        Topic("diabetes", ((17, 3.0), (45, 2.2), (100, 1.5), (182, 1.2)), days=(18, STORY_DAYS + 1), health=True,
              low=("My sugar was {reading} all afternoon and nothing I did brought it down.",
                   "Hypo at {low_reading} in the middle of the shop, I felt shaky and stupid.",
                   "I hate doing injections in front of people.",
                   "Counting carbs in every single thing is exhausting.",
                   "Got the insulin dose wrong at dinner and spent the evening correcting it.",
                   "Sick of thinking about diabetes every hour of the day."),
              mid=("Levels mostly in range, one high after lunch.",
                   "Getting quicker at the injections, barely think about it now.",
                   "Weighed my pasta like a scientist and got the dose right."),
              high=("Whole day in range, a first!",
                    "Ate a curry out with friends and guessed the carbs right.",
                    "Forgot I had diabetes for a couple of hours today, in a good way.")),
        Topic("finger pricks", 0.8, days=(18, 90), health=True,
              low=("My fingertips are sore from all the finger pricks.",
                   "Forgot my meter at home and spent the afternoon guessing, which scared me."),
              mid=("Seven finger pricks today, I'm getting quick at it.", "Logged every reading in the notebook."),
              high=("All my finger prick readings were in range today.",)),
        Topic("sensor", 0.9, days=(91, STORY_DAYS + 1), health=True,
              low=("The sensor fell off in the shower and the new one hurt going in.",
                   "The sensor alarm went off three times in the night."),
              mid=("Changed my sensor, no drama.", "Checked the sensor app more than I needed to."),
              high=("The sensor graph today was a flat line in the green, so satisfying.",
                    "Slept right through, the sensor alarm stayed quiet all night.",
                    "Love being able to glance at my phone instead of pricking my finger.")),
        Topic("clinic", 0.6, days=(20, STORY_DAYS + 1), health=True,
              low=("Clinic appointment, they want to change my doses again.",),
              mid=("Phone call with Grace to go through my numbers.",
                   "Picked up a new box of insulin pens from the pharmacy."),
              high=("Grace said my numbers look great this month.",)),
        Topic("work", 1.0, when="weekday",
              low=("Struggled through my shift at the bike shop, no energy at all.",
                   "Had to stop twice at work to check my sugar and felt like everyone was watching."),
              mid=("Fixed four punctures and a snapped chain at the shop.", "Busy afternoon rush at the bike shop."),
              high=("Rebuilt a vintage road bike at the shop today, beautiful thing.",
                    "Customer came back just to say thanks for sorting her gears.")),
        Topic("football", 0.9, when="weekend",
              low=("Missed football again, I'm scared of going low on the pitch.",
                   "Watched the lads play from the side, gutted."),
              mid=("Kickabout in the park with {friend}, kept a juice in my pocket just in case.",),
              high=("Scored twice at five-a-side, levels fine, what a night.",
                    "Football with {friend}, ran for an hour with no hypo.")),
        Topic("people", 1.0,
              low=("Mum keeps phoning to check on me and it's making me more nervous.",
                   "Didn't reply to anyone's messages today."),
              mid=("Tunde came round and we played FIFA.", "Mum sent me home with a week of jollof in boxes.",
                   "Mum rang to check my numbers, as she does every day now."),
              high=("Big family lunch at Mum's and I handled the food fine.",
                    "Night out with {friend}, I had a great time and my levels behaved.",
                    "Tunde came with me to the clinic, it meant a lot.")),
        Topic("feelings", 1.0,
              low=("It still doesn't feel real that this is for life.", "Angry at my body today.",
                   "I'm scared of getting it wrong and ending up in hospital again.",
                   "Felt really low and just lay on the sofa all evening."),
              mid=("Up and down day.", "Getting used to it, slowly."),
              high=("Feeling more in control than I have in months.", "Proud of how I'm handling all this.",
                    "Good day, felt like a normal person.")),
        Topic("sleep", 0.6,
              low=("Couldn't sleep, kept checking my sugar in case I went low overnight.",
                   "Woke up at 3 sweating with a low and had to eat jelly babies in bed."),
              mid=("Slept okay, {hours_mid} hours.",),
              high=("Slept right through for once.", "Proper long sleep and woke up starving.")),
        JOYS,
    ),
)

STORIES: tuple[Story, ...] = (MARIA, JAMES, FATIMA, TOM, CLAIRE, SAM)


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
    """The story's entries from STORY_DAYS before `today` up to it, oldest first: pure and deterministic."""
    rng = random.Random(f"meditrack-demo:{seed}:{story.email}")
    start = today - timedelta(days=STORY_DAYS)
    latent, wander = [], 0.0
    for d in range(STORY_DAYS + 1):
        wander = 0.7 * wander + rng.gauss(0, story.noise)
        latent.append(min(9.6, max(1.3, _at(story.mood, d) + wander)))
    for d, (_, register) in story.events.items():  # a milestone's day feels like the milestone
        latent[d] = min(latent[d], LOW_MOOD - 0.4) if register == "low" else \
            max(latent[d], 6.8) if register == "high" else latent[d]

    # Weighted sampling of entry slots without replacement (Efraimidis-Spirakis): each day has a first slot and a
    # less likely second one; milestone days always have an entry.
    keys = []
    for d in range(STORY_DAYS + 1):
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
