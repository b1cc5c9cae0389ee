"""The demo: nine people with about six months of records and journals, for trying MediTrack out (`manage.py
seed_demo`). It may import every app; no app imports it.

    people    the accounts, their one password, and the span of days their data covers
    patients  the patients' records: care assignments, vitals, medications and intakes
    stories   the journals' storylines and phrase banks (data)
    journals  the journal writer: plans each story's entries and saves them
    seed      all of it at once, idempotent
"""
