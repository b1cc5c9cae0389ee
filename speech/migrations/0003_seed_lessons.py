"""The lessons a fresh install offers: what a patient needs to say in a clinic, in plain English. Operators edit
them in the admin; numbers are written as words, as they are said."""

from django.db import migrations

LESSONS = [
    {
        "title": "Describing symptoms",
        "level": "beginner",
        "description": "Say what is wrong, how it feels and for how long.",
        "phrases": [
            ("I have been feeling sick since yesterday.", "Say what is wrong and since when."),
            ("I have had a headache since this morning.", "'Since' and the moment it started."),
            ("I have had a sore throat for three days.", "Say how long it has lasted: 'for' and the time."),
            ("I have a fever and a bad cough.", "Two symptoms in one sentence."),
            ("I feel dizzy when I stand up.", "Say when it happens."),
            ("My stomach hurts after I eat.", "Say what makes it happen."),
            ("The pain is sharp, and it gets worse at night.", "What the pain is like, and when it is worse."),
            ("On a scale of one to ten, the pain is a seven.", "Doctors and nurses often ask for this number."),
        ],
        "terms": [
            ("headache", "a pain in your head"),
            ("sore throat", "a painful throat, worse when you swallow"),
            ("fever", "a body temperature that is higher than normal"),
            ("cough", "pushing air out of your chest with a sudden noise"),
            ("dizzy", "feeling that everything is spinning"),
            ("stomach", "the part of your body where food goes when you swallow it"),
            ("feeling sick", "feeling that you might vomit"),
            ("sharp", "a pain that is sudden and strong, like a cut"),
            ("worse", "more bad than before"),
            ("scale", "a range of numbers for measuring something"),
        ],
    },
    {
        "title": "Medicines and doses",
        "level": "beginner",
        "description": "Say what you take, how much and how often, and what you cannot take.",
        "phrases": [
            ("I take one tablet twice a day.", "How many, and how often."),
            ("I take fifteen milligrams every morning.", "Say the dose clearly: fifteen is not fifty."),
            ("I am allergic to penicillin.", "Always tell a new doctor or nurse about an allergy."),
            ("I take this medicine with food.", "How you take it."),
            ("I forgot to take my dose last night.", "A missed dose: say which one."),
            ("This medicine makes me sleepy. Is that a side effect?", "Ask about an effect you notice."),
            ("I need a new prescription for my inhaler.", "When your medicine is running out."),
        ],
        "terms": [
            ("tablet", "a small, hard piece of medicine that you swallow"),
            ("twice a day", "two times every day"),
            ("milligrams", "a unit for the weight of a medicine, written mg"),
            ("allergic", "your body reacts badly to something"),
            ("dose", "the amount of medicine you take at one time"),
            ("side effect", "an unwanted effect of a medicine"),
            ("prescription", "a doctor's written order for a medicine"),
            ("inhaler", "a small device you breathe a medicine in from"),
        ],
    },
    {
        "title": "Times and dates",
        "level": "beginner",
        "description": "Say when something started, how often it happens, and when you can come.",
        "phrases": [
            ("My appointment is on Tuesday at half past two.", "A day and a time."),
            ("The pain started on the fifteenth of March.", "A date: 'the fifteenth of March'."),
            ("I take my tablets at eight in the morning and at eight at night.", "Times of day."),
            ("I have had this cough for two weeks.", "How long: 'for' and the time."),
            ("It happens every day, usually in the evening.", "How often, and when."),
            ("I was last here three months ago.", "'Ago' says how long before now."),
            ("Can I come back next Friday afternoon?", "Ask for a time that suits you."),
        ],
        "terms": [
            ("appointment", "a fixed time to see a doctor or a nurse"),
            ("half past", "thirty minutes after the hour"),
            ("fifteenth", "number fifteen in order, as in a date"),
            ("in the morning", "between waking up and midday"),
            ("weeks", "periods of seven days"),
            ("usually", "most of the time"),
            ("ago", "before now"),
            ("afternoon", "the time between midday and the evening"),
        ],
    },
    {
        "title": "Booking an appointment",
        "level": "beginner",
        "description": "Book, change or cancel a visit, on the phone or at the desk.",
        "phrases": [
            ("I would like to book an appointment with a doctor.", "The first thing to say at the desk."),
            ("Is there anything available this week?", "Ask when you can come."),
            ("It is not an emergency, but it is urgent.", "Say how soon you need to be seen."),
            ("My date of birth is the second of June, nineteen eighty.", "The desk will ask for it."),
            ("Can I have a telephone appointment instead?", "When you cannot come in."),
            ("I need to cancel my appointment on Monday.", "Say which appointment."),
            ("Could you send me a reminder by text message?", "So you do not forget."),
        ],
        "terms": [
            ("book", "arrange a time in advance"),
            ("available", "free to be used"),
            ("emergency", "a serious danger that needs help at once"),
            ("urgent", "needing attention soon"),
            ("date of birth", "the day you were born"),
            ("instead", "in place of something else"),
            ("cancel", "say that something will not happen"),
            ("reminder", "a message that helps you not forget"),
        ],
    },
    {
        "title": "Describing pain",
        "level": "intermediate",
        "description": "Say where it hurts, what the pain is like and what makes it better or worse.",
        "phrases": [
            ("The pain is in my lower back.", "Where it hurts."),
            ("It is a dull ache that never goes away.", "What the pain is like."),
            ("I get a throbbing pain behind my eyes.", "Another kind of pain, and where."),
            ("It started suddenly two hours ago.", "How and when it started."),
            ("It hurts more when I breathe in.", "What makes it worse."),
            ("The pain spreads down my left arm.",
             "Pain that spreads to the arm can be an emergency: say it at once."),
            ("Lying down makes it a little better.", "What makes it better."),
        ],
        "terms": [
            ("lower back", "the part of your back just above your hips"),
            ("dull", "a pain that is not strong but goes on and on"),
            ("ache", "a pain that lasts"),
            ("throbbing", "a pain that beats like your heart"),
            ("suddenly", "quickly and without warning"),
            ("breathe", "take air in and let it out"),
            ("spreads", "moves to another part of the body"),
            ("lying down", "resting flat on a bed or the floor"),
        ],
    },
    {
        "title": "At the pharmacy",
        "level": "intermediate",
        "description": "Collect a prescription, ask for advice and check how to take a medicine.",
        "phrases": [
            ("I would like to collect my prescription.", "When your medicine is ready."),
            ("Do I need a prescription for this?", "Ask before you buy."),
            ("Can you recommend something for a dry cough?", "Ask the pharmacist for advice."),
            ("Is this safe to take if I am pregnant?", "Always ask when you are pregnant."),
            ("How many times a day should I take it?", "Check how often."),
            ("Should I take it before or after meals?", "Check when."),
            ("Do you have a generic version of this medicine?", "A cheaper medicine that works the same."),
        ],
        "terms": [
            ("collect", "come and take something that is ready for you"),
            ("prescription", "a doctor's written order for a medicine"),
            ("recommend", "say what would be good to use"),
            ("dry cough", "a cough that brings up no mucus"),
            ("pregnant", "expecting a baby"),
            ("meals", "breakfast, lunch or dinner"),
            ("generic", "a medicine with the same ingredient but no brand name, often cheaper"),
        ],
    },
]


def seed(apps, schema_editor):
    Lesson = apps.get_model("speech", "Lesson")
    LessonPhrase = apps.get_model("speech", "LessonPhrase")
    LessonTerm = apps.get_model("speech", "LessonTerm")
    for position, data in enumerate(LESSONS, start=1):
        lesson = Lesson.objects.create(title=data["title"], level=data["level"], description=data["description"],
                                       position=position)
        LessonPhrase.objects.bulk_create(LessonPhrase(lesson=lesson, text=text, hint=hint, position=n)
                                         for n, (text, hint) in enumerate(data["phrases"], start=1))
        LessonTerm.objects.bulk_create(LessonTerm(lesson=lesson, term=term, meaning=meaning, position=n)
                                       for n, (term, meaning) in enumerate(data["terms"], start=1))


def unseed(apps, schema_editor):
    apps.get_model("speech", "Lesson").objects.filter(title__in=[data["title"] for data in LESSONS]).delete()


class Migration(migrations.Migration):
    dependencies = [("speech", "0002_practice")]
    operations = [migrations.RunPython(seed, unseed)]
