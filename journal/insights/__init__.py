"""The pure computation behind the journal: nothing here imports Django, so each module is testable and benchmarkable
alone (bench/insights.py). The caller turns journal entries and their analyses into EntryFacts; every insight is a
plain, JSON-serialisable dict (ints, floats, str, lists, None), with dates as ISO strings. Nothing here logs, and no
exception message carries an entry's text.

    crisis         crisis language: the safety rule every save runs (standard library only)
    phrases        text normalisation, phrase patterns, and the sleep, stress and coping phrase families
    entries        EntryFacts and EntryTable, the entries as numpy columns
    statistics     daily and rolling means, least-squares lines
    comprehensive  descriptive facts about a whole journal
    themes         recurring themes: clusters of the entries' embeddings
    predictive     risks of the last fortnight and a 7-day forecast
    profile        the reflective profile: its schema, its citations and the version built from facts

Days are calendar days in the user's time zone (`tz`); `today` is that zone's date, passed in so that results are
reproducible. This package imports none of its modules: the write path loads crisis alone, without numpy, scipy or
scikit-learn.
"""
