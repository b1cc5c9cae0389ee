"""speech.pronunciation and speech.phonemes: the words of an attempt judged against the target sentence."""

import pytest

from meditrack.inference.types import WordTiming
from speech import phonemes, pronunciation
from speech.pronunciation import normalise, score


def heard(text: str, probability: float = 0.95) -> list[dict]:
    return [{"word": word, "probability": probability} for word in text.split()]


def statuses(result: dict) -> list[tuple[str, str, str | None]]:
    return [(w["word"], w["status"], w["heard"]) for w in result["words"]]


def test_a_sentence_said_as_written_is_all_correct_and_scores_high():
    result = score("Take two tablets twice a day.", heard("Take two tablets, twice a day."))
    assert {w["status"] for w in result["words"]} == {"correct"}
    assert result["score"] >= 95 and result["transcript"] == "Take two tablets, twice a day."


def test_a_near_miss_is_mispronounced_with_what_was_heard():
    result = score("Take two tablets twice a day.", heard("Take two tablet twice a day."))
    assert ("tablets", "mispronounced", "tablet") in statuses(result)
    assert [s for _, s, _ in statuses(result)].count("correct") == 5


def test_a_wrong_word_reads_differently_from_a_near_miss():
    near = score("Take two tablets twice a day.", heard("Take two tablet twice a day."))
    wrong = score("Take two tablets twice a day.", heard("Take two tablets twice a week."))
    assert ("day", "missing", "week") in statuses(wrong)
    assert near["score"] > wrong["score"]


def test_a_dropped_word_is_missing_with_nothing_heard():
    result = score("I have a sharp pain in my chest.", heard("I have a pain in my chest."))
    assert ("sharp", "missing", None) in statuses(result)
    assert result["words"][3]["confidence"] is None


def test_an_added_word_is_extra_and_costs_less_than_a_missing_one():
    extra = score("My back hurts.", heard("My back really hurts."))
    missing = score("My back hurts.", heard("My hurts."))
    assert ("really", "extra", "really") in statuses(extra)
    assert extra["words"][2]["expected"] is None
    assert extra["score"] > missing["score"]


def test_words_that_sound_the_same_are_correct():
    result = score("Two tablets, too many.", heard("To tablets two many."))
    assert {w["status"] for w in result["words"]} == {"correct"}


def test_numbers_and_abbreviations_match_how_they_are_said():
    result = score("Take 2 tablets of 500 mg on the 3rd.",
                   heard("Take two tablets of five hundred milligrams on the third."))
    assert {w["status"] for w in result["words"]} == {"correct"}


def test_a_word_heard_in_two_pieces_or_two_heard_as_one_is_correct():
    assert {w["status"] for w in score("I need painkillers.", heard("I need pain killers."))["words"]} == {"correct"}
    assert {w["status"] for w in score("I need a pain killer.", heard("I need a painkiller."))["words"]} == {"correct"}


def test_a_contraction_heard_for_the_words_in_full_is_correct():
    result = score("I have been sneezing and I do not feel well.", heard("I've been sneezing and I don't feel well."))
    assert {w["status"] for w in result["words"]} == {"correct"}


def test_nothing_heard_scores_zero_with_every_word_missing():
    result = score("It hurts here.", [])
    assert result["score"] == 0 and result["transcript"] == ""
    assert [s for _, s, _ in statuses(result)] == ["missing"] * 3


def test_the_recognisers_doubt_lowers_the_score_but_not_the_verdict():
    sure = score("Where is the pharmacy?", heard("Where is the pharmacy?", 0.99))
    unsure = score("Where is the pharmacy?", heard("Where is the pharmacy?", 0.3))
    assert {w["status"] for w in unsure["words"]} == {"correct"}
    assert 70 < unsure["score"] < sure["score"] and unsure["words"][0]["confidence"] == 0.3


def test_it_takes_the_recognisers_word_timings():
    words = [WordTiming("I", 0.0, 0.2, 0.9), WordTiming("feel", 0.2, 0.5, 0.9), WordTiming("dizzy.", 0.5, 0.9, 0.9)]
    result = score("I feel dizzy.", words)
    assert result["transcript"] == "I feel dizzy." and result["score"] > 95


def test_a_target_without_words_is_refused():
    with pytest.raises(ValueError):
        score("?!", heard("hello"))


@pytest.mark.parametrize("text, words", [
    ("Don't take 21 pills!", ["do", "not", "take", "twenty", "one", "pills"]),
    ("I've and I'm, can't, cannot", ["i", "have", "and", "i", "am", "can", "not", "can", "not"]),
    ("A follow-up at 9:30", ["a", "follow", "up", "at", "nine", "thirty"]),
    ("the 1st and 22nd", ["the", "first", "and", "twenty", "second"]),
])
def test_it_normalises_text_to_spoken_words(text, words):
    assert normalise(text) == words


def test_phonemes_say_a_near_miss_from_another_word():
    assert phonemes.similarity("tablets", "tablet") >= pronunciation.NEAR_MISS
    assert phonemes.similarity("day", "week") < pronunciation.NEAR_MISS
    assert phonemes.similarity("litres", "liters") == 1.0


def test_words_the_dictionary_lacks_are_compared_with_espeaks_phonemes():
    assert phonemes.similarity("tamblet", "tablet") >= pronunciation.NEAR_MISS
    assert phonemes.similarity("paracetamoll", "paracetamol") > 0.8
    assert phonemes.similarity("zorblax", "tablet") < pronunciation.NEAR_MISS
