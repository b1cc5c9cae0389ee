"""Calling chat models through the service: tiers, fallback, limits, guards, logs."""

import logging

import pytest
from pydantic import BaseModel

from meditrack.errors import ApplicationError, api_exception_handler
from meditrack.inference import services
from meditrack.inference.errors import ModelAuthError, RateLimited, StreamInterrupted
from meditrack.inference.types import ChatMessage
from meditrack.testing.factories import model, serve, tier

pytestmark = pytest.mark.django_db
SECRET_TEXT = "my private worry about my diagnosis"
ASK = [ChatMessage("user", SECRET_TEXT)]


def loopback(server, slug, **extra):
    return model(slug, backend="openai_compatible", base_url=f"{server.base_url}/v1", model_id=slug, **extra)


def test_a_model_put_first_in_a_tier_serves_without_a_restart(model_server, patient):
    standard = tier("standard")
    serve(standard, loopback(model_server, "old-chat"))
    assert services.chat_complete(user=patient, messages=ASK).model == "old-chat"
    serve(standard, loopback(model_server, "new-chat"), loopback(model_server, "old-chat"))
    reply = services.chat_complete(user=patient, messages=ASK)
    assert reply.model == "new-chat"
    assert model_server.last_request.model == "new-chat"


def test_a_primary_answering_503s_falls_to_the_fallback_after_its_retries(model_server, patient):
    serve(tier("standard"), loopback(model_server, "primary"), loopback(model_server, "fallback"))
    model_server.fail_next(503, model="primary", times=None)
    reply = services.chat_complete(user=patient, messages=ASK)
    assert reply.model == "fallback"
    assert reply.text == "Hello! This is the loopback model."
    assert sum(r.model == "primary" for r in model_server.requests) == services.POLICY.attempts


def test_a_loading_primary_asking_for_a_long_wait_is_skipped_at_once(model_server, patient):
    serve(tier("standard"), loopback(model_server, "primary"), loopback(model_server, "fallback"))
    model_server.loading_next(estimated_time=120, model="primary")
    assert services.chat_complete(user=patient, messages=ASK).model == "fallback"
    assert sum(r.model == "primary" for r in model_server.requests) == 1


def test_a_401_is_not_retried_and_surfaces_as_an_auth_error_naming_the_model(model_server, patient, monkeypatch):
    model_server.required_token = "right-token"
    monkeypatch.setenv("LOOPBACK_TOKEN", "wrong-token")
    serve(tier("standard"), loopback(model_server, "locked-chat", token_env_var="LOOPBACK_TOKEN"))
    with pytest.raises(ModelAuthError) as caught:
        services.chat_complete(user=patient, messages=ASK)
    assert caught.value.model == "locked-chat"
    assert "locked-chat" in str(caught.value)
    assert len(model_server.requests) == 1


def test_the_api_shows_the_auth_error_as_503_naming_the_model(model_server, patient):
    model_server.required_token = "right-token"
    serve(tier("standard"), loopback(model_server, "locked-chat"))
    with pytest.raises(ModelAuthError) as caught:
        services.chat_complete(user=patient, messages=ASK)
    response = api_exception_handler(caught.value, {})
    assert response.status_code == 503
    assert response.data["error"]["code"] == "model_auth"
    assert "locked-chat" in response.data["error"]["detail"]


def test_a_user_over_their_tiers_limit_is_told_how_long_to_wait(model_server, patient):
    serve(tier("standard", rpm=2), loopback(model_server, "chat"))
    services.chat_complete(user=patient, messages=ASK)
    services.chat_complete(user=patient, messages=ASK)
    with pytest.raises(RateLimited) as caught:
        services.chat_complete(user=patient, messages=ASK)
    assert 0 < caught.value.retry_after <= 60
    assert len(model_server.requests) == 2


def test_a_model_outside_the_tier_is_forbidden(model_server, patient):
    serve(tier("standard"), loopback(model_server, "chat"))
    serve(tier("enterprise"), loopback(model_server, "premium"))
    with pytest.raises(ApplicationError) as caught:
        services.chat_complete(user=patient, messages=ASK, model="premium")
    assert caught.value.status_code == 403


def test_a_chosen_model_serves_first_and_the_tier_still_backs_it_up(model_server, patient):
    serve(tier("standard"), loopback(model_server, "default-chat"), loopback(model_server, "chosen-chat"))
    assert services.chat_complete(user=patient, messages=ASK, model="chosen-chat").model == "chosen-chat"


def test_the_tiers_max_new_tokens_bounds_every_reply(model_server, patient):
    serve(tier("standard", max_new_tokens=3), loopback(model_server, "chat"))
    model_server.reply = ["a", "b", "c", "d", "e", "f"]
    reply = services.chat_complete(user=patient, messages=ASK, max_new_tokens=1000)
    assert model_server.last_request.json["max_tokens"] == 3
    assert (reply.text, reply.finish_reason) == ("abc", "length")


def test_a_models_own_max_new_tokens_bounds_it_further(model_server, patient):
    serve(tier("standard", max_new_tokens=100), loopback(model_server, "chat", parameters={"max_new_tokens": 4}))
    model_server.reply = ["a", "b", "c", "d", "e", "f"]
    reply = services.chat_complete(user=patient, messages=ASK)
    assert model_server.last_request.json["max_tokens"] == 4
    assert (reply.text, reply.finish_reason) == ("abcd", "length")


def test_a_repetition_loop_ends_the_generation_and_the_upstream_request(model_server, patient):
    serve(tier("standard", max_new_tokens=2000), loopback(model_server, "chat"))
    model_server.reply = ["I am fine. "] + ["so sorry "] * 1000
    model_server.token_delay = 0.001
    reply = services.chat_complete(user=patient, messages=ASK)
    assert reply.finish_reason == "repetition"
    assert reply.text.count("so sorry") < 50
    assert model_server.wait_for_disconnect(timeout=3)


def test_a_stream_cut_after_the_first_tokens_is_interrupted_keeping_what_came(model_server, patient):
    serve(tier("standard"), loopback(model_server, "chat"), loopback(model_server, "fallback"))
    model_server.reply = ["one", " two", " three"]
    model_server.cut_stream_after(2)
    stream = services.chat_stream(user=patient, messages=ASK)
    with pytest.raises(StreamInterrupted):
        for _ in stream:
            pass
    assert stream.text == "one two"
    assert stream.model == "chat"


class Mood(BaseModel):
    mood: str
    score: int


def test_json_answers_are_validated_and_re_asked_once(model_server, patient):
    serve(tier("standard"), loopback(model_server, "chat"))
    answers = iter(["Sure! mood is good", '```json\n{"mood": "good", "score": 7}\n```'])
    model_server.reply = lambda request: next(answers)
    answer = services.chat_json(user=patient, messages=ASK, schema=Mood, fallback=lambda: Mood(mood="?", score=0))
    assert (answer.value, answer.is_fallback, answer.model) == (Mood(mood="good", score=7), False, "chat")
    repair = model_server.last_request.json["messages"][-1]["content"]
    assert "JSON schema" in repair and "no JSON object" in repair


def test_json_answers_fall_back_visibly_after_the_second_miss(model_server, patient):
    serve(tier("standard"), loopback(model_server, "chat"))
    model_server.reply = '{"mood": "good"}'
    answer = services.chat_json(user=patient, messages=ASK, schema=Mood, fallback=lambda: Mood(mood="?", score=0))
    assert answer.is_fallback and answer.value.mood == "?"
    assert len(model_server.requests) == 2


def test_a_json_answer_still_being_written_at_its_deadline_stops_the_model_and_falls_back(model_server, patient):
    serve(tier("standard"), loopback(model_server, "chat"))
    model_server.reply = ['{"mood": '] + ['"very '] * 200 + ['good", "score": 7}']
    model_server.token_delay = 0.05  # ten seconds of answer

    answer = services.chat_json(user=patient, messages=ASK, schema=Mood, fallback=lambda: Mood(mood="?", score=0),
                                within_s=1.0)

    assert answer.is_fallback and answer.value.mood == "?"
    assert len(model_server.requests) == 1  # no re-ask once the time is up
    assert model_server.wait_for_disconnect()
    assert model_server.requests[0].tokens_sent < 100


def test_each_call_logs_one_json_line_without_the_users_text(model_server, patient, caplog):
    serve(tier("standard"), loopback(model_server, "chat"))
    with caplog.at_level(logging.INFO, logger="meditrack.inference"):
        services.chat_complete(user=patient, messages=ASK)
    calls = [r for r in caplog.records if r.name == "meditrack.inference" and r.getMessage() == "model call"]
    assert len(calls) == 1
    call = calls[0]
    assert (call.model, call.backend, call.task, call.outcome, call.finish_reason) == (
        "chat", "openai_compatible", "chat", "ok", "stop")
    assert call.latency_ms > 0 and call.tokens_in > 0 and call.tokens_out == 6
    assert all(SECRET_TEXT not in str(value) for r in caplog.records for value in vars(r).values())
