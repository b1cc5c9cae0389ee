"""Speech-to-text through the stack: real-time factor and held-out word error rate.

Speech is made by the packaged espeak-ng (the registry's default voice: en-us at 165 words per minute) from the
forty clinic sentences below, written for this benchmark; the tests use none of them. Whisper tiny.en (the
packaged default) hears it.

- Real-time factor: clips of 5, 30 and 120 s (the sentences spoken one after another, cut to length) transcribed
  the way the API does it (speech.services.transcription_request: the recording checked and kept as a clip,
  transcribed on the Procfile's gpu worker, which checks, decodes and hands it to the inference layer) against
  the same faster-whisper model called bare in this process on the same samples with the same options. Each
  length is measured several times (REPEATS), the two alternating; the medians count. ratio is the bare time
  over ours, for the length where ours adds most.
- Word error rate: each sentence alone through the same path, the text normalised as the pronunciation scorer
  does (lowercase, no punctuation, numbers spelled out), scored by jiwer over all forty.

Run: .venv/bin/python bench/speech.py
"""

import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # before this script's folder: `speech` is the app, not this file

from spoken import RATE, VOICE, espeak, listener  # noqa: E402
from stack import run_with_services  # noqa: E402

# clip length in seconds: times each path runs it (short clips vary most on a shared machine)
REPEATS = {5: 15, 30: 4, 120: 2}
RTF_TARGET, RATIO_TARGET, WER_TARGET = 0.12, 0.95, 0.05

HELD_OUT = [
    "My knee has been swollen for about a week.",
    "I get short of breath when I climb the hill near my house.",
    "The cough is worse at night and keeps me awake.",
    "I was told to stop taking aspirin before the operation.",
    "Could you check my blood pressure again please?",
    "I forgot to take my evening dose yesterday.",
    "The rash started on my arm and spread to my back.",
    "I would like to see a nurse about my dressing.",
    "My daughter has had a high temperature since last night.",
    "I feel sick every morning after breakfast.",
    "The new medicine makes me very sleepy.",
    "I have pins and needles in both of my hands.",
    "Can I take these pills on an empty stomach?",
    "I fell over in the garden and hurt my wrist.",
    "My ears have been ringing for a few days.",
    "I need a letter for my employer about my sick leave.",
    "The pain comes and goes but it is very strong.",
    "I usually sleep for only four hours a night.",
    "My eyes are red and itchy in the spring.",
    "Is there a quieter time to visit the clinic?",
    "I would like to cancel my appointment on Thursday.",
    "The tablets are white and round with a line in the middle.",
    "I have lost some weight without trying.",
    "My ankle turns blue when it is cold outside.",
    "I was bitten by a dog while I was running.",
    "Please write the dose on the label in large letters.",
    "I am worried about the lump under my arm.",
    "The headache is behind my right eye.",
    "I have been feeling low and tired for a month.",
    "My husband snores and stops breathing at night.",
    "I get heartburn after spicy food.",
    "Do I need to fast before the blood test?",
    "The cream has not helped the itching at all.",
    "I travelled abroad last month and now I have a fever.",
    "Can you explain the results of my scan?",
    "I have trouble swallowing large tablets.",
    "My leg cramps wake me up in the early hours.",
    "I would prefer a female doctor if possible.",
    "The inhaler makes my voice hoarse.",
    "I need to renew my prescription before the weekend.",
]


def clip_of(seconds: float, spoken_sentences: list) -> bytes:
    """The sentences' samples one after another, as often as needed, cut to `seconds`: 16 kHz WAV."""
    import numpy as np

    from speech import audio

    wanted = int(seconds * audio.SAMPLE_RATE)
    pieces, total = [], 0
    while total < wanted:
        for samples in spoken_sentences:
            pieces.append(samples)
            total += len(samples)
    return audio.to_wav(np.concatenate(pieces)[:wanted])


def bare_model():
    from faster_whisper import WhisperModel

    from meditrack.inference.backends.local_weights import resolve
    from meditrack.inference.types import BackendName, ModelSpec, Task

    spec = ModelSpec(slug="whisper-tiny-en", task=Task.ASR, backend=BackendName.LOCAL,
                     model_id="pkg:whisper-tiny.en")
    # The options the local backend uses (meditrack.inference.backends.local): int8 on a CPU, beam 5, word timings.
    model = WhisperModel(str(resolve(spec)), device="cpu", compute_type="int8", local_files_only=True)

    def transcribe(wav: bytes) -> str:
        from faster_whisper.audio import decode_audio

        samples = decode_audio(io.BytesIO(wav), sampling_rate=16000)
        segments, _ = model.transcribe(samples, beam_size=5, vad_filter=False, word_timestamps=True)
        return " ".join(segment.text.strip() for segment in segments)

    return transcribe


def measure() -> None:
    import jiwer

    from meditrack.celery import app as celery_app
    from meditrack.procfile import running
    from meditrack.testing.waiting import wait_until
    from speech import audio, services
    from speech.pronunciation import normalise

    user = listener("speech-bench@meditrack.local")
    started = time.perf_counter()
    spoken = [audio.decode(espeak(sentence), max_duration_s=60) for sentence in HELD_OUT]
    clips = {seconds: clip_of(seconds, spoken) for seconds in REPEATS}
    print(f"spoke {len(HELD_OUT)} sentences with espeak-ng ({VOICE}, {RATE} wpm) in "
          f"{time.perf_counter() - started:.1f} s", flush=True)
    bare = bare_model()

    def ours(wav: bytes) -> str:
        return services.transcription_request(user=user, data=wav)["text"]

    with running(["gpu"], env={"LOG_LEVEL": "WARNING", "MEDIA_ROOT": os.environ["MEDIA_ROOT"]}):
        wait_until(lambda: any(n.startswith("gpu@") for reply in celery_app.control.ping(timeout=0.5) for n in reply),
                   what="the gpu worker", timeout=120)
        ours(clips[5]), bare(clips[5])  # each loads its model once, outside the timings
        rtf = {}
        for seconds in REPEATS:
            timed = {"ours": [], "bare": []}
            for _ in range(REPEATS[seconds]):
                for name, transcribe in (("bare", bare), ("ours", ours)):
                    began = time.perf_counter()
                    transcribe(clips[seconds])
                    timed[name].append(time.perf_counter() - began)
            rtf[seconds] = {name: statistics.median(times) / seconds for name, times in timed.items()}
            print(f"{seconds:>4} s: ours rtf={rtf[seconds]['ours']:.3f}  bare rtf={rtf[seconds]['bare']:.3f}  "
                  f"ratio={rtf[seconds]['bare'] / rtf[seconds]['ours']:.3f}", flush=True)

        errors = words = 0
        for sentence, samples in zip(HELD_OUT, spoken, strict=True):
            reference, heard = " ".join(normalise(sentence)), " ".join(normalise(ours(audio.to_wav(samples))))
            result = jiwer.process_words(reference, heard or "-")
            errors += result.substitutions + result.deletions + result.insertions
            words += len(reference.split())
            if heard != reference:
                print(f"  said: {reference}\n  heard: {heard}", flush=True)
        wer = errors / words
    print(f"word error rate {wer:.3f} over {len(HELD_OUT)} sentences, {words} words; "
          f"total {time.perf_counter() - started:.0f} s")
    ratio = min(r["bare"] / r["ours"] for r in rtf.values())
    print(" ".join(f"rtf_{s}s={r['ours']:.3f} bare_rtf_{s}s={r['bare']:.3f}" for s, r in rtf.items())
          + f" wer={wer:.3f} rtf_target={RTF_TARGET} wer_target={WER_TARGET} ratio={ratio:.3f} target={RATIO_TARGET}")


if __name__ == "__main__":
    os.environ.setdefault("MEDIA_ROOT", str(ROOT / "var" / "bench" / "media"))
    run_with_services(__file__, measure)
