"""The rule-based coach, alone: what a patient hears when no model gives a valid answer, and the model's schema."""

import json

import pytest
from pydantic import ValidationError

from speech.coach import (
    CoachReply,
    Step,
    Term,
    Turn,
    coach_messages,
    fallback_coach,
    next_position,
    term_said_right,
    terms_in,
    tip_for,
    turn_passed,
    with_target_spelling,
)

TARGET = "I have had a headache for three days."


def word(expected, status="correct", heard=None, confidence=0.9):
    heard = expected if heard is None and status == "correct" else heard
    return {"word": expected or heard, "status": status, "expected": expected, "heard": heard,
            "confidence": confidence}


def checked(*statuses) -> list[dict]:
    """TARGET's words, each correct unless given as (status, heard)."""
    given = dict(statuses)
    return [word(w, *given.get(w, ("correct", None))) for w in ["I", "have", "had", "a", "headache", "for", "three",
                                                                  "days"]]


def test_it_names_the_wrong_words_says_how_to_fix_them_and_models_the_phrase():
    words = checked(("three", ("mispronounced", "tree")), ("had", ("missing", None)))
    turn = Turn(heard="I have a headache for tree days", spoken=True, target=TARGET, words=words, score=70)

    answer = fallback_coach(turn, Step(lesson="Describing symptoms", next_target=TARGET, repeat=True))

    assert "'headache' and 'days' were clear" in answer.reply  # what was right, the small words aside
    assert "'three' sounded like 'tree'" in answer.reply and "tongue between your teeth" in answer.reply
    assert "You left out 'had'" in answer.reply
    assert answer.reply.endswith(f"Listen, then say it again: '{TARGET}'")
    assert answer.next_prompt == f"Try again: '{TARGET}'"
    assert [(c.expected, c.heard) for c in answer.corrections] == [("had", ""), ("three", "tree")]


def test_a_tip_is_not_said_twice():
    words = [word("three", "mispronounced", "tree"), word("throat", "mispronounced", "troat")]
    answer = fallback_coach(Turn(heard="tree troat", spoken=True, target="three throat", words=words),
                            Step(lesson="Describing symptoms", next_target="three throat", repeat=True))
    assert answer.reply.count("tongue between your teeth") == 1
    assert "'throat' sounded like 'troat'. The same tip helps here." in answer.reply
    assert "teeth" in answer.corrections[1].tip  # each correction keeps its own


def test_a_phrase_said_right_is_praised_and_the_next_one_comes_with_its_new_words():
    turn = Turn(heard=TARGET, spoken=True, target=TARGET, words=checked(), score=96)
    step = Step(lesson="Describing symptoms", next_target="I feel dizzy when I stand up.",
                new_terms=[Term("dizzy", "feeling that everything is spinning")])

    answer = fallback_coach(turn, step)

    assert answer.reply == ("Excellent! Every word was clear. New word: 'dizzy' means feeling that everything is "
                            "spinning. Now say: 'I feel dizzy when I stand up.'")
    assert answer.corrections == []
    assert [(v.term, v.meaning) for v in answer.new_vocabulary] == [("dizzy", "feeling that everything is spinning")]
    assert answer.next_prompt == "Now say: 'I feel dizzy when I stand up.'"


def test_after_the_last_tries_it_moves_on_showing_how_the_phrase_should_sound():
    words = checked(("three", ("mispronounced", "tree")))
    turn = Turn(heard="I have had a headache for tree days", spoken=True, target=TARGET, words=words, attempt=3)
    answer = fallback_coach(turn, Step(lesson="Describing symptoms", next_target="My stomach hurts."))
    assert f"It should sound like this: '{TARGET}' Let's go on." in answer.reply
    assert answer.reply.endswith("Now say: 'My stomach hurts.'")


def test_the_end_of_a_lesson_says_so_and_starts_it_again():
    turn = Turn(heard=TARGET, spoken=True, target=TARGET, words=checked())
    answer = fallback_coach(turn, Step(lesson="Describing symptoms", next_target="I have a headache.",
                                       finished=True))
    assert "That was the last phrase of 'Describing symptoms'. Well done!" in answer.reply
    assert answer.next_prompt == "Now say: 'I have a headache.'"


def test_silence_asks_to_speak_up_and_try_again():
    answer = fallback_coach(Turn(heard="", spoken=True, target=TARGET, words=[word(w, "missing") for w in
                                                                             TARGET.split()]),
                            Step(lesson="Describing symptoms", next_target=TARGET, repeat=True))
    assert answer.reply.startswith("I could not hear any words that time.")
    assert answer.next_prompt == f"Try again: '{TARGET}'"


def test_a_typed_answer_is_corrected_as_writing():
    words = checked(("three", ("mispronounced", "tree")))
    answer = fallback_coach(Turn(heard="I have had a headache for tree days", spoken=False, target=TARGET,
                                 words=words), Step(lesson="Describing symptoms", next_target=TARGET, repeat=True))
    assert "You wrote 'tree' for 'three'. It is spelled 'three'." in answer.reply
    assert "sounded" not in answer.reply


def test_a_word_said_in_place_of_another_is_named():
    words = checked(("days", ("missing", "weeks")))
    answer = fallback_coach(Turn(heard="I have had a headache for three weeks", spoken=True, target=TARGET,
                                 words=words), Step(lesson="Describing symptoms", next_target=TARGET, repeat=True))
    assert "You said 'weeks' instead of 'days'." in answer.reply
    assert (answer.corrections[0].expected, answer.corrections[0].heard) == ("days", "weeks")


def test_only_extra_words_are_mentioned_gently():
    words = checked() + [word(None, "extra", heard="very")]
    answer = fallback_coach(Turn(heard="I have had a headache for three days very", spoken=True, target=TARGET,
                                 words=words), Step(lesson="Describing symptoms", next_target="Next.", ))
    assert "You added 'very', which the phrase does not have." in answer.reply


def test_free_talk_echoes_what_was_heard_and_asks_the_next_question():
    answer = fallback_coach(Turn(heard="my back hurts", spoken=True, target=None),
                            Step(lesson=None, next_target=None, next_question="How long have you felt like this?"))
    assert answer.reply == "Thank you. I heard: 'my back hurts'. How long have you felt like this?"
    assert answer.next_prompt == "How long have you felt like this?"


@pytest.mark.parametrize(("expected", "heard", "tip"), [
    ("fifteen", "fifty", "'fifteen' has the stress at the end, fif-TEEN; 'fifty' has it at the start, FIF-ty."),
    ("tablets", "tablet", "Say the final 's' of 'tablets': it means more than one."),
    ("tablet", "tablets", "Just 'tablet', without a final 's'."),
    ("started", "start", "Say the '-ed' at the end of 'started'"),
    ("throat", "trout", "put the tip of your tongue between your teeth"),
    ("three", "tree", "put the tip of your tongue between your teeth"),
    ("very", "wery", "touch your top teeth to your lower lip"),
    ("right", "light", "Keep the 'r' and the 'l' apart"),
    ("medicine", "medicine", "Say 'medicine' slowly and clearly"),
    ("pharmacy", "farmers", "Say 'pharmacy' slowly and clearly"),
])
def test_tips_follow_how_the_word_went_wrong(expected, heard, tip):
    assert tip in tip_for(expected, heard, spoken=True)


def test_a_phrase_passes_when_no_word_of_it_went_wrong():
    assert turn_passed(Turn(heard=TARGET, spoken=True, target=TARGET, words=checked() + [word(None, "extra", "so")]))
    assert not turn_passed(Turn(heard="I have", spoken=True, target=TARGET, words=checked(("days", ("missing",
                                                                                                    None)))))
    assert not turn_passed(Turn(heard="", spoken=True, target=TARGET, words=[]))
    assert turn_passed(Turn(heard="anything", spoken=False, target=None))


def test_the_lesson_moves_on_after_a_right_phrase_or_the_last_try_and_wraps_at_its_end():
    assert next_position(phrase_count=5, position=1, passed=True, attempt=1) == (2, False)
    assert next_position(phrase_count=5, position=1, passed=False, attempt=1) == (1, False)
    assert next_position(phrase_count=5, position=1, passed=False, attempt=3) == (2, False)
    assert next_position(phrase_count=5, position=4, passed=True, attempt=1) == (0, True)


def test_lesson_terms_are_found_in_phrases_and_judged_by_their_words():
    terms = [Term("sore throat", ""), Term("headache", ""), Term("ache", ""), Term("fever", "")]
    assert [t.term for t in terms_in("I've had a sore throat and a HEADACHE.", terms)] == ["sore throat",
                                                                                          "headache"]
    words = [word("I"), word("have"), word("a"), word("sore", "mispronounced", "saw"), word("throat")]
    assert term_said_right("sore throat", words) is False
    assert term_said_right("throat", words) is True
    assert term_said_right("fever", words) is None


def test_checked_words_take_the_targets_capitals_when_they_are_its_words():
    words = [word("i"), word("see", "mispronounced", "sea"), word(None, "extra", "dr"), word("tuesday", "missing")]
    assert [(w["word"], w["expected"]) for w in with_target_spelling("I see Tuesday.", words)] == [
        ("I", "I"), ("see", "see"), ("dr", None), ("Tuesday", "Tuesday")]
    assert with_target_spelling("I saw 15 people.", words) == words  # not its words in order: left as they are


def test_the_schema_takes_what_small_models_write_and_refuses_what_is_not_an_answer():
    lenient = CoachReply.model_validate({"reply": "Good.", "corrections": ["Say the s."],
                                         "new_vocabulary": ["dizzy"], "next_prompt": "Say: 'I am dizzy.'"})
    assert lenient.corrections[0].tip == "Say the s." and lenient.new_vocabulary[0].term == "dizzy"
    for bad in [{"reply": "", "next_prompt": "x"}, {"reply": "Good."},
                {"reply": "Good.", "next_prompt": "x", "new_vocabulary": ["<script>"]}]:
        with pytest.raises(ValidationError):
            CoachReply.model_validate(bad)


def test_the_model_is_given_the_turn_as_data():
    words = checked(("three", ("mispronounced", "tree")))
    messages = coach_messages(Turn(heard="I have had a headache for tree days", spoken=True, target=TARGET,
                                   words=words, score=80),
                              Step(lesson="Describing symptoms", next_target=TARGET, repeat=True))
    assert messages[0].role == "system" and '"next_prompt"' in messages[0].content
    facts = json.loads(messages[1].content.split("\n", 1)[1])
    assert facts["asked to say"] == TARGET and facts["score out of 100"] == 80
    assert {"word": "three", "status": "mispronounced", "heard": "tree"} in facts["word check"]
    assert facts["next"] == f"ask the patient to say the same phrase again: {TARGET}"
