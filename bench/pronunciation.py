"""Pronunciation scoring: are substituted and dropped words flagged, and are words said right passed?

Thirty clinic sentences written for this benchmark (the tests use none of them), each with one change: ten
substitute a near-miss ("dose" said as "doze", "walked" as "walk"), ten another word ("left" as "right"), ten
drop a word. Each sentence and each changed sentence is spoken by the packaged espeak-ng (en-us, 165 words per
minute, the registry's default voice), heard by the packaged Whisper tiny.en through speech.services, and
scored against the original sentence by speech.pronunciation.

- flagged: the share of changed words whose status is not `correct` (over the thirty changed sentences);
- passed: the share of words scored `correct` when the sentence was said as written (over the thirty sentences).
The baseline, on the same transcripts in the same run, passes a word only when the recogniser's text has it
exactly (jiwer's alignment of the lowercase words, punctuation removed): no numbers spelled out, no phonemes.
ratio is the smaller of flagged and passed, which the issue's target (0.9 each) is set on.

Run: .venv/bin/python bench/pronunciation.py
"""

import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from spoken import espeak, listener  # noqa: E402
from stack import run_with_services  # noqa: E402

TARGET = 0.9
# sentence, the word changed, what is said instead (None: dropped)
NEAR_MISSES = [
    ("I take fifteen milligrams every morning.", "fifteen", "fifty"),
    ("My hands shake when I hold a cup.", "hands", "hand"),
    ("I walked to the pharmacy this morning.", "walked", "walk"),
    ("The nurse checked my temperature.", "checked", "check"),
    ("She has three children at home.", "three", "free"),
    ("I think the pills are working.", "think", "sink"),
    ("I need to see the doctors about my results.", "doctors", "doctor"),
    ("My back is very stiff in the mornings.", "mornings", "morning"),
    ("I have a rash on my leg.", "rash", "rush"),
    ("Please give me the lower dose.", "dose", "doze"),
]
WRONG_WORDS = [
    ("The pain is in my left shoulder.", "left", "right"),
    ("I have had this cough for two weeks.", "weeks", "months"),
    ("Can I have a glass of water?", "water", "milk"),
    ("My appointment is on Monday morning.", "Monday", "Friday"),
    ("I am allergic to nuts.", "nuts", "eggs"),
    ("My chest feels tight when I run.", "run", "sleep"),
    ("I take my tablets after dinner.", "dinner", "lunch"),
    ("The doctor said to rest for three days.", "rest", "walk"),
    ("My stomach hurts after I eat bread.", "bread", "cheese"),
    ("I would like a second opinion.", "second", "new"),
]
DROPS = [
    ("I have a very bad headache today.", "very", None),
    ("Please speak a little more slowly.", "little", None),
    ("My mother takes medicine for her heart.", "medicine", None),
    ("I cannot sleep because of the noise.", "because", None),
    ("The tablets make me feel dizzy.", "dizzy", None),
    ("I need a sick note for work.", "sick", None),
    ("My feet swell in hot weather.", "hot", None),
    ("I have been sneezing all day.", "all", None),
    ("Where can I buy plasters?", "buy", None),
    ("The injection site is red and swollen.", "swollen", None),
]
PAIRS = NEAR_MISSES + WRONG_WORDS + DROPS


def changed(sentence: str, word: str, instead: str | None) -> str:
    said = re.sub(rf"\b{word}\b ?", f"{instead} " if instead else "", sentence, count=1)
    return re.sub(r" ([.?])$", r"\1", said)


def exact_statuses(target: str, heard: str) -> list[bool]:
    """The baseline: each target word passed only when the text has it exactly at its aligned place."""
    import jiwer

    def words(text: str) -> str:
        return " ".join(re.findall(r"[a-z0-9']+", text.lower())) or "-"

    expected = words(target).split()
    passed = [False] * len(expected)
    for chunk in jiwer.process_words(" ".join(expected), words(heard)).alignments[0]:
        if chunk.type == "equal":
            passed[chunk.ref_start_idx:chunk.ref_end_idx] = [True] * (chunk.ref_end_idx - chunk.ref_start_idx)
    return passed


def measure() -> None:
    from speech import pronunciation, services

    user = listener("pronunciation-bench@meditrack.local")
    started = time.perf_counter()

    def heard(said: str) -> dict:
        return services.speech_transcribe(user=user, data=espeak(said), language="en")

    heard("Hello.")  # the model loads once, outside the run
    flagged = {"near-miss": [], "wrong word": [], "dropped": []}
    labels = {"near-miss": [], "wrong word": [], "dropped": []}
    passed, baseline_passed, baseline_flagged = [], [], []
    for sentence, word, instead in PAIRS:
        kind = "dropped" if instead is None else "near-miss" if (sentence, word, instead) in NEAR_MISSES \
            else "wrong word"
        as_written = heard(sentence)
        ours = pronunciation.score(sentence, as_written["words"], transcript=as_written["text"])
        passed += [w["status"] == "correct" for w in ours["words"] if w["expected"]]
        baseline_passed += exact_statuses(sentence, as_written["text"])

        attempt = heard(changed(sentence, word, instead))
        scored = pronunciation.score(sentence, attempt["words"], transcript=attempt["text"])
        position = pronunciation.normalise(sentence).index(word.lower())
        verdict = [w for w in scored["words"] if w["expected"]][position]
        flagged[kind].append(verdict["status"] != "correct")
        labels[kind].append(verdict["status"])
        baseline_flagged.append(not exact_statuses(sentence, attempt["text"])[position])
        mark = "flagged" if verdict["status"] != "correct" else "MISSED"
        print(f"{kind:>10} {word!r}->{instead!r}: {mark} as {verdict['status']} (heard {attempt['text']!r}); "
              f"as written: {ours['score']} ({as_written['text']!r})", flush=True)

    every_flag = [f for kind in flagged.values() for f in kind]
    share_flagged, share_passed = sum(every_flag) / len(every_flag), sum(passed) / len(passed)
    base_flagged, base_passed = sum(baseline_flagged) / len(baseline_flagged), sum(baseline_passed) / len(
        baseline_passed)
    for kind, statuses in labels.items():
        counts = {status: statuses.count(status) for status in sorted(set(statuses))}
        print(f"{kind}: flagged {sum(flagged[kind])}/{len(flagged[kind])}, read as {counts}")
    print(f"{len(PAIRS)} pairs, {len(passed)} words said as written; total {time.perf_counter() - started:.0f} s")
    print(f"flagged={share_flagged:.3f} passed={share_passed:.3f} baseline_flagged={base_flagged:.3f} "
          f"baseline_passed={base_passed:.3f} ratio={min(share_flagged, share_passed):.3f} target={TARGET}")


if __name__ == "__main__":
    run_with_services(__file__, measure)
