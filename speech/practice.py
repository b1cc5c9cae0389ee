"""Speech practice: sessions that follow a lesson, turns answered on a worker, and vocabulary on SM-2's schedule.

A turn: what was said (a recording) or typed → its transcript and word-by-word check against the phrase asked for
→ the coach's answer, from the chat model under speech.coach's schema or, failing that, the rule-based coach →
the answer spoken as a clip → the words of the lesson added to the user's vocabulary or reviewed by how they were
said. The request sends the turn to the workers that run the speech models and waits for it (as speech.services
does for a transcription): a turn takes seconds, and the web process runs no model.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from meditrack.errors import ApplicationError
from meditrack.inference import services as inference
from meditrack.inference.errors import InferenceError, ServedElsewhere
from meditrack.inference.types import Task
from speech import coach, pronunciation, srs
from speech import services as speech
from speech.coach import CoachReply, Step, Term, Turn
from speech.models import Lesson, LessonPhrase, PracticeSession, PracticeTurn, VocabularyItem

logger = logging.getLogger(__name__)

TURN_TEXT_MAX_CHARS = 500
# A turn still 'processing' after this is taken as lost (its worker died), and no longer blocks the session.
TURN_STALE_AFTER = timedelta(minutes=10)
COACH_MAX_NEW_TOKENS = 300
# A little slower than the voice's usual pace: the patient is learning to hear these words.
COACH_VOICE_SPEED = 0.9
# How a word of the lesson said in a turn counts as a review (speech.srs grades).
SAID_RIGHT_GRADE, SAID_WRONG_GRADE = 4, 2


def term_key(term: str) -> str:
    """A term as vocabulary keeps it: lower case, words only."""
    return " ".join(coach.words_of(term))


# ---- vocabulary


def vocabulary_add(*, owner, term: str, meaning: str = "", lesson: Lesson | None = None
                   ) -> tuple[VocabularyItem, bool]:
    """The user's item for this term, created (seen, due now) if they did not have it."""
    return VocabularyItem.objects.get_or_create(owner=owner, term=term_key(term)[:60],
                                                defaults={"meaning": meaning[:200], "lesson": lesson})


def vocabulary_review(*, item: VocabularyItem, grade) -> VocabularyItem:
    """One review graded 0-5: the next one is scheduled by SM-2."""
    try:
        schedule = srs.review(item.schedule, grade)
    except ValueError as exc:
        raise ApplicationError(str(exc), fields={"grade": [str(exc)]}) from None
    now = timezone.now()
    item.easiness, item.repetitions, item.interval_days = schedule.easiness, schedule.repetitions, \
        schedule.interval_days
    item.stage = schedule.stage
    item.due_at = srs.due_after(now, schedule)
    item.last_reviewed_at = now
    item.review_count += 1
    item.save(update_fields=["easiness", "repetitions", "interval_days", "stage", "due_at", "last_reviewed_at",
                             "review_count"])
    return item


# ---- sessions


def lesson_content(lesson: Lesson | None) -> tuple[list[LessonPhrase], list[Term]]:
    if lesson is None:
        return [], []
    return list(lesson.phrases.all()), [Term(t.term, t.meaning) for t in lesson.terms.all()]


def session_target(session: PracticeSession, phrases: list[LessonPhrase]) -> LessonPhrase | None:
    """The lesson's phrase to say now; None in free talk."""
    return phrases[session.position % len(phrases)] if phrases else None


def _terms_to_introduce(*, owner, lesson: Lesson | None, phrase: str, terms: list[Term]) -> list[Term]:
    """The lesson's words this phrase uses that the user has not met yet."""
    used = coach.terms_in(phrase, terms)
    known = set(VocabularyItem.objects.filter(owner=owner, term__in=[term_key(t.term) for t in used])
                .values_list("term", flat=True))
    return [t for t in used if term_key(t.term) not in known]


def practice_session_create(*, owner, lesson: Lesson | None = None) -> tuple[PracticeSession, list[VocabularyItem]]:
    """A session at the lesson's first phrase (free talk without a lesson), and the words that phrase brings into
    the user's vocabulary."""
    phrases, terms = lesson_content(lesson)
    if lesson is not None and not phrases:
        raise ApplicationError("This lesson has no phrases yet.", fields={"lesson_id": ["It has no phrases."]})
    prompt = f"Say: '{phrases[0].text}'" if phrases else coach.FREE_TALK_QUESTIONS[0]
    with transaction.atomic():
        session = PracticeSession.objects.create(owner=owner, lesson=lesson, prompt=prompt)
        new = _terms_to_introduce(owner=owner, lesson=lesson, phrase=phrases[0].text, terms=terms) if phrases else []
        items = [vocabulary_add(owner=owner, term=t.term, meaning=t.meaning, lesson=lesson)[0] for t in new]
    return session, items


# ---- turns: from the request


def _turn_queue(*, tier: str, spoken: bool) -> str:
    """The queue of the workers that can run every model the turn needs: one that runs local models if any is
    local. A spoken turn needs a speech model (503 without one); the coach and its voice can do without."""
    queues = {inference.queue_for(tier=tier, task=Task.ASR)} if spoken else set()
    queues |= {inference.queue_for(tier=tier, task=task, default=None) for task in (Task.CHAT, Task.TTS)}
    return next((queue for queue in ("gpu", "cpu") if queue in queues), "io")


def practice_turn_submit(*, session: PracticeSession, text: str = "", audio: bytes | None = None) -> PracticeTurn:
    """Check what was sent (a clear 4xx before any model work) and save the turn, with its recording as a clip."""
    text = (text or "").strip()
    if audio and text:
        raise ApplicationError("Send a recording or a text, not both.",
                               fields={"text": ["Leave this empty when sending a recording."]})
    if not audio and not text:
        detail = "Say the phrase (a recording in 'audio') or type it (in 'text')."
        raise ApplicationError(detail, fields={"audio": [detail], "text": [detail]})
    if len(text) > TURN_TEXT_MAX_CHARS:
        detail = f"A turn's text is limited to {TURN_TEXT_MAX_CHARS} characters."
        raise ApplicationError(detail, code="text_too_long", fields={"text": [detail]})
    info = speech.audio_check(data=audio) if audio else None
    phrases, _ = lesson_content(session.lesson)
    with transaction.atomic():
        session = PracticeSession.objects.select_for_update().get(pk=session.pk)
        if session.turns.filter(status=PracticeTurn.Status.PROCESSING,
                                created_at__gt=timezone.now() - TURN_STALE_AFTER).exists():
            raise ApplicationError("Your last turn is still being answered: wait for the coach.", code="busy",
                                   status_code=409)
        number = (session.turns.aggregate(last=Max("number"))["last"] or 0) + 1
        recording = speech.clip_save(owner=session.owner, data=audio, info=info) if audio else None
        target = session_target(session, phrases)
        return PracticeTurn.objects.create(session=session, number=number, target=target.text if target else "",
                                           text=text, recording=recording)


def practice_turn_request(*, session: PracticeSession, text: str = "", audio: bytes | None = None) -> PracticeTurn:
    """Submit a turn and wait for a worker to answer it; the answered turn, or the error it ended with."""
    from speech.tasks import practice_turn

    turn = practice_turn_submit(session=session, text=text, audio=audio)
    queue = _turn_queue(tier=session.owner.tier, spoken=turn.recording_id is not None)
    try:
        speech.worker_run(practice_turn, queue=queue, kwargs={"turn_id": turn.pk})
    except (ApplicationError, InferenceError) as exc:  # the worker failed it already, unless none answered
        practice_turn_fail(turn_id=turn.pk, error=exc)
        raise
    turn.refresh_from_db()
    return turn


def practice_turn_fail(*, turn_id: int, error: ApplicationError | InferenceError) -> None:
    """A turn that could not be answered: it says why, keeps no recording, and the session stays where it was."""
    with transaction.atomic():
        turn = PracticeTurn.objects.select_for_update().filter(pk=turn_id,
                                                               status=PracticeTurn.Status.PROCESSING).first()
        if turn is None:
            return
        status = error.status_code if isinstance(error, ApplicationError) else error.status
        turn.status = PracticeTurn.Status.FAILED
        turn.error_code, turn.error_detail, turn.error_status = error.code, str(error.detail)[:300], status
        turn.finished_at = timezone.now()
        recording, turn.recording = turn.recording, None
        turn.save(update_fields=["status", "error_code", "error_detail", "error_status", "finished_at", "recording"])
        if recording is not None:
            speech.clip_delete(clip=recording)


# ---- turns: on the worker


def _turn_check(turn: PracticeTurn, *, owner, attempt: int) -> Turn:
    """What was said or typed, checked word by word against the phrase asked for."""
    target = turn.target or None
    if turn.recording is not None:
        with turn.recording.file.open("rb") as stored:
            data = stored.read()
        if target:
            result = speech.pronunciation_assess(user=owner, data=data, text=target)
            return Turn(heard=result["transcript"], spoken=True, target=target,
                        words=coach.with_target_spelling(target, result["words"]),
                        score=result["score"], attempt=attempt)
        heard = speech.speech_transcribe(user=owner, data=data, language="en")
        return Turn(heard=heard["text"], spoken=True, target=None)
    if target:
        # Typed words are certain: each is checked as a word heard with full confidence.
        typed = [{"word": word, "probability": 1.0} for word in turn.text.split()]
        result = pronunciation.score(target, typed, transcript=turn.text)
        return Turn(heard=turn.text, spoken=False, target=target,
                    words=coach.with_target_spelling(target, result["words"]), score=result["score"], attempt=attempt)
    return Turn(heard=turn.text, spoken=False, target=None)


def _next_step(session: PracticeSession, checked: Turn, *, phrases: list[LessonPhrase], terms: list[Term]
               ) -> tuple[Step, int]:
    """Where the session goes after this turn, and the position it moves to."""
    if not phrases:
        position = session.position + (1 if coach.words_of(checked.heard) else 0)
        return Step(lesson=None, next_target=None,
                    next_question=coach.FREE_TALK_QUESTIONS[position % len(coach.FREE_TALK_QUESTIONS)]), position
    position, finished = coach.next_position(phrase_count=len(phrases), position=session.position,
                                             passed=coach.turn_passed(checked), attempt=session.attempt)
    repeat = position == session.position and not finished
    next_target = phrases[position].text
    new_terms = [] if repeat else _terms_to_introduce(owner=session.owner, lesson=session.lesson,
                                                      phrase=next_target, terms=terms)
    return Step(lesson=session.lesson.title, next_target=next_target, repeat=repeat, finished=finished,
                new_terms=new_terms), position


def _coach_answer(*, owner, checked: Turn, step: Step) -> tuple[CoachReply, str, str]:
    """The coach's answer, where it came from (model or fallback) and the model that wrote it."""
    def fallback() -> CoachReply:
        return coach.fallback_coach(checked, step)

    try:
        answer = inference.chat_json(user=owner, messages=coach.coach_messages(checked, step), schema=CoachReply,
                                     fallback=fallback, max_new_tokens=COACH_MAX_NEW_TOKENS,
                                     within_s=settings.PRACTICE_COACH_WAIT_S)
    except (InferenceError, ApplicationError) as exc:  # over the user's model limit, or a model it may not use
        logger.warning("practice coach fell back", extra={"reason": exc.code})
        return fallback(), PracticeTurn.CoachSource.FALLBACK, ""
    if answer.is_fallback:
        return answer.value, PracticeTurn.CoachSource.FALLBACK, ""
    return answer.value, PracticeTurn.CoachSource.MODEL, answer.model or ""


def _coach_voice(*, owner, text: str):
    """The answer spoken as the user's clip; a turn without a voice beats no turn when speech fails."""
    try:
        return speech.speech_synthesize(user=owner, text=text, speed=COACH_VOICE_SPEED)
    except (InferenceError, ApplicationError) as exc:
        logger.warning("practice coach not spoken", extra={"reason": exc.code})
        return None


def _vocabulary_after(*, owner, lesson: Lesson | None, checked: Turn, step: Step, reply: CoachReply,
                      terms: list[Term]) -> list[dict]:
    """New words from the lesson and the coach enter the vocabulary; the lesson's words in the phrase just said
    count as a review, right or wrong. What changed, per item."""
    lesson_terms = {term_key(t.term): t for t in terms}
    changes: dict[int, dict] = {}

    def note(item: VocabularyItem, change: str) -> None:
        changes[item.pk] = {"id": item.pk, "term": item.term, "stage": item.stage, "change": change}

    for new in [*step.new_terms, *reply.new_vocabulary]:
        known = lesson_terms.get(term_key(new.term))
        if not term_key(new.term):
            continue
        item, created = vocabulary_add(owner=owner, term=new.term, meaning=(known or new).meaning,
                                       lesson=lesson if known else None)
        if created:
            note(item, "new")
    if checked.target:
        now = timezone.now()
        for term in coach.terms_in(checked.target, terms):
            right = coach.term_said_right(term.term, checked.words)
            if right is None:
                continue
            item, _ = vocabulary_add(owner=owner, term=term.term, meaning=term.meaning, lesson=lesson)
            if not right:
                note(vocabulary_review(item=item, grade=SAID_WRONG_GRADE), "missed")
            elif item.repetitions == 0 or item.due_at <= now:  # said right when it was due: a review passed
                note(vocabulary_review(item=item, grade=SAID_RIGHT_GRADE), "practised")
    return list(changes.values())


def practice_turn_answer(*, turn_id: int) -> int:
    """Answer a turn once: a redelivered task finds it answered (or failed) and leaves it."""
    turn = PracticeTurn.objects.select_related("session__owner", "session__lesson", "recording").filter(
        pk=turn_id, status=PracticeTurn.Status.PROCESSING).first()
    if turn is None:
        return turn_id
    session, owner = turn.session, turn.session.owner
    phrases, terms = lesson_content(session.lesson)
    try:
        checked = _turn_check(turn, owner=owner, attempt=session.attempt)
    except ServedElsewhere:
        raise  # its worker answers it
    except (ApplicationError, InferenceError) as exc:
        practice_turn_fail(turn_id=turn.pk, error=exc)
        raise
    step, position = _next_step(session, checked, phrases=phrases, terms=terms)
    reply, source, model = _coach_answer(owner=owner, checked=checked, step=step)
    voice = _coach_voice(owner=owner, text=reply.reply)
    with transaction.atomic():
        if not PracticeTurn.objects.select_for_update().filter(pk=turn.pk,
                                                               status=PracticeTurn.Status.PROCESSING).exists():
            if voice is not None:
                speech.clip_delete(clip=voice)
            return turn.pk
        session = PracticeSession.objects.select_for_update().get(pk=session.pk)
        turn.vocabulary = _vocabulary_after(owner=owner, lesson=session.lesson, checked=checked, step=step,
                                            reply=reply, terms=terms)
        session.attempt = session.attempt + 1 if step.repeat else 1
        session.position = position
        session.prompt = reply.next_prompt[:300]
        session.save(update_fields=["attempt", "position", "prompt", "updated_at"])
        turn.status = PracticeTurn.Status.DONE
        turn.transcript = checked.heard
        turn.pronunciation = {"score": checked.score, "words": checked.words} if checked.target else None
        turn.coach, turn.coach_source, turn.coach_model = reply.model_dump(), source, model
        turn.reply_clip, turn.next_target = voice, step.next_target or ""
        turn.finished_at = timezone.now()
        turn.save()
    return turn.pk
