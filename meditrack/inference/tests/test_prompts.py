import pytest

from meditrack.inference.errors import BadInput
from meditrack.inference.prompts import PER_MESSAGE_OVERHEAD, fit_history, render_plain
from meditrack.inference.types import ChatMessage as M


def words(text: str) -> int:
    return len(text.split())


def test_it_drops_the_oldest_turns_first_and_keeps_the_system_prompt():
    history = [M("system", "be kind"), M("user", "one two three"), M("assistant", "four five six"),
               M("user", "seven eight"), M("assistant", "nine"), M("user", "ten eleven")]
    per = PER_MESSAGE_OVERHEAD
    # Room for the system prompt and the last three turns only.
    window = (2 + per) + (2 + per) + (1 + per) + (2 + per) + 100
    fitted = fit_history(history, context_window=window, max_new_tokens=100, count=words)
    assert fitted == [M("system", "be kind"), M("user", "seven eight"), M("assistant", "nine"), M("user", "ten eleven")]


def test_it_never_starts_the_kept_turns_with_an_answer():
    history = [M("user", "a b c d e f"), M("assistant", "x"), M("user", "y")]
    fitted = fit_history(history, context_window=(1 + PER_MESSAGE_OVERHEAD) * 2 + 10, max_new_tokens=10,
                         count=words)
    assert fitted == [M("user", "y")]


def test_it_refuses_a_message_that_alone_exceeds_the_window():
    with pytest.raises(BadInput):
        fit_history([M("system", "s"), M("user", "w " * 500)], context_window=256, max_new_tokens=128, count=words)


def test_without_a_tokenizer_it_estimates_about_four_characters_a_token():
    history = [M("user", "x" * 400), M("user", "y" * 40)]
    fitted = fit_history(history, context_window=100, max_new_tokens=50)
    assert fitted == [M("user", "y" * 40)]


def test_the_plain_form_ends_where_the_assistant_speaks():
    prompt = render_plain([M("system", "You help."), M("user", "Hi"), M("assistant", "Hello"), M("user", "Bye")])
    assert prompt == "System: You help.\n\nUser: Hi\nAssistant: Hello\nUser: Bye\nAssistant:"
