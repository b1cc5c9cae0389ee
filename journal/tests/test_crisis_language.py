"""Crisis language (journal.insights.crisis): explicit phrases are found, common figures of speech are not."""

import pytest

from journal.insights.crisis import crisis_language, sounds_like_crisis


@pytest.mark.parametrize("text, category", [
    ("I just want to kill myself.", "suicidal_ideation"),
    ("Some days I think about how to end my life.", "suicidal_ideation"),
    ("I don't want to be alive anymore.", "suicidal_ideation"),
    ("I don’t want to be here anymore", "suicidal_ideation"),
    ("I don't want to live like this any more.", "suicidal_ideation"),
    ("Everyone would be better off without me.", "suicidal_ideation"),
    ("Honestly I'd be better off dead.", "suicidal_ideation"),
    ("There is no reason to live.", "suicidal_ideation"),
    ("I've been having suicidal thoughts.", "suicidal_ideation"),
    ("I thought about suicide again last night.", "suicidal_ideation"),
    ("I could overdose on purpose and nobody would notice.", "suicidal_ideation"),
    ("I WANT TO DIE.", "suicidal_ideation"),
    ("I wish I was dead.", "suicidal_ideation"),
    ("Life is not worth living.", "suicidal_ideation"),
    ("I want to hurt myself.", "self_harm"),
    ("I felt like cutting myself again.", "self_harm"),
    ("The urge to harm myself was strong.", "self_harm"),
    ("I relapsed into self-harm.", "self_harm"),
    ("Sometimes I want to hurt someone.", "harm_to_others"),
])
def test_it_finds_crisis_phrases(text, category):
    assert category in crisis_language(text)


@pytest.mark.parametrize("text", [
    "This heat is killing me.",
    "I could kill for a coffee.",
    "Dead tired after the night shift.",
    "We watched Suicide Squad.",
    "I hurt myself at the gym, sore knee.",
    "Cut myself shaving, bled everywhere.",
    "I was killing myself laughing at that show.",
    "I'm dying to see the new film.",
    "I don't want to be here at this boring party.",
    "I don't want to live in this city.",
    "I wanted to die of embarrassment.",
    "My brother ate my lunch, I'm going to kill him.",
    "Life is worth living after all.",
    "I cut my finger chopping onions.",
    "",
])
def test_it_ignores_figures_of_speech(text):
    assert crisis_language(text) == []


@pytest.mark.parametrize("text", ["This heat is killing me.", "Dead tired after the night shift.",
                                  "I hurt myself at the gym, sore knee.", "I just want to kill myself."])
def test_text_we_write_avoids_what_only_looks_like_crisis_language_too(text):
    assert sounds_like_crisis(text)


def test_ordinary_text_does_not_sound_like_crisis():
    assert not sounds_like_crisis("A quiet evening with a book and a cup of tea, then an early night.")
