import pytest
from pydantic import BaseModel

from meditrack.inference.guards import RepetitionGuard, extract_json, parse_structured


def feed_all(pieces) -> int | None:
    guard = RepetitionGuard()
    for i, piece in enumerate(pieces):
        if guard.feed(piece):
            return i
    return None


def test_it_spots_a_phrase_stuck_in_a_loop():
    pieces = ["I ", "am ", "fine. "] + ["I am so sorry. "] * 40
    stopped_at = feed_all(pieces)
    assert stopped_at is not None and stopped_at < 20


def test_it_spots_a_single_character_loop():
    assert feed_all(["!"] * 300) is not None


def test_it_lets_ordinary_prose_through():
    text = ("Sleep matters for mood. Try a regular bedtime, less screen light in the evening, and a short walk "
            "in daylight. If the low mood lasts for weeks, talk to your clinician; they can help. ") * 2
    assert feed_all(text.split(" ")) is None


def test_it_lets_a_short_list_with_repeated_bullets_through():
    assert feed_all(["- water\n", "- walk\n", "- sleep\n", "- call a friend\n", "- read\n"]) is None


def test_it_extracts_json_from_a_fence_or_from_prose():
    assert extract_json('Sure!\n```json\n{"a": 1}\n```') == {"a": 1}
    assert extract_json('Here it is: {"a": [1, 2]} hope that helps') == {"a": [1, 2]}
    with pytest.raises(ValueError):
        extract_json("no json at all {broken")


class Profile(BaseModel):
    concerns: list[str]
    entry_ids: list[int]


def test_it_validates_against_the_schema_and_says_which_field_is_wrong():
    assert parse_structured('{"concerns": ["sleep"], "entry_ids": [3]}', Profile).entry_ids == [3]
    with pytest.raises(ValueError, match="entry_ids"):
        parse_structured('{"concerns": ["sleep"], "entry_ids": ["three"]}', Profile)
