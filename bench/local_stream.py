"""Tokens per second streamed through LocalBackend.chat against a bare model.generate, same model and prompt.

    .venv/bin/python bench/local_stream.py [--model gemma|tiny] [--tokens N] [--repeats N]

It measures the packaged Gemma 3 270M by default, the model the target is set on (converted once
into $MEDITRACK_MODEL_CACHE, default var/models, on the first run); `--model tiny` a tiny
random-weight GPT-2 built here, whose forward pass is so cheap that streaming's fixed per-token
cost dominates its ratio. Both sides are given the same inputs and settings, made by the
functions chat itself uses (local.prompt_inputs, local.generation_settings), and generate exactly N
tokens greedily (min_new_tokens = max_new_tokens), counted as forward passes; the warm-up checks
that both made N and that the streamed pieces add up to the bare reply. After it the two
alternate, each going first every other time, and the median of each side is reported. Needs
nothing running; imports nothing from Django settings.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from meditrack.inference.backends import local  # noqa: E402
from meditrack.inference.backends.local import LocalBackend  # noqa: E402
from meditrack.inference.types import BackendName, ChatMessage, ModelSpec, Task  # noqa: E402

TARGET = 0.95
# Gemma's greedy reply to these runs past 32 tokens without writing the next turn itself: chat would
# end it there (_until_next_turn), and the streamed side would stop after half the bare one's tokens,
# spreading the prompt's cost over half as many.
MESSAGES = [
    ChatMessage("system", "You are a caring health assistant."),
    ChatMessage("user", "I slept badly last night and woke up with a headache. What can I do today? "
                        "Explain in a few sentences."),
]


def timed(run, forwards: list) -> float:
    """Tokens per second of run(), counting the forward passes it makes."""
    forwards.clear()
    started = time.perf_counter()
    run()
    return len(forwards) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=("gemma", "tiny"), default="gemma")
    parser.add_argument("--tokens", type=int)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    if args.model == "gemma":
        model_id, name, tokens = "pkg:gemma3-270m", "gemma3-270m", args.tokens or 32
    else:
        from meditrack.testing.tiny_models import build_causal_lm

        model_id = str(build_causal_lm(Path(tempfile.mkdtemp(prefix="bench-tiny-gpt2-"))))
        name, tokens = "tiny-gpt2", args.tokens or 200
    spec = ModelSpec(slug=name, task=Task.CHAT, backend=BackendName.LOCAL, model_id=model_id,
                     params={"do_sample": False, "min_new_tokens": tokens}, context_window=4096)

    backend = LocalBackend()
    model, tokenizer = local.causal_lm(spec)
    inputs = local.prompt_inputs(tokenizer, MESSAGES, model.device)
    settings = local.generation_settings(spec, tokenizer, tokens)
    forwards: list = []
    model.register_forward_hook(lambda *_: forwards.append(1))
    replies = {}

    def bare():
        import torch

        with torch.inference_mode():
            out = model.generate(**inputs, **settings)
        replies["bare"] = tokenizer.decode(out[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)

    def streamed():
        replies["streamed"] = "".join(backend.chat(spec, MESSAGES, max_new_tokens=tokens))

    for side, run in (("bare", bare), ("streamed", streamed)):
        timed(run, forwards)
        if len(forwards) != tokens:
            sys.exit(f"the {side} side made {len(forwards)} forward passes, not {tokens}: the sides no longer "
                     f"generate the same reply (try fewer --tokens)")
    if replies["streamed"] != replies["bare"]:
        sys.exit(f"the streamed reply {replies['streamed']!r} is not the bare one {replies['bare']!r}")
    baseline, measured = [], []
    for repeat in range(args.repeats):
        # Alternating which goes first evens out whatever else the machine is doing.
        if repeat % 2:
            measured.append(timed(streamed, forwards))
            baseline.append(timed(bare, forwards))
        else:
            baseline.append(timed(bare, forwards))
            measured.append(timed(streamed, forwards))
        print(f"  bare {baseline[-1]:.1f} tok/s   streamed {measured[-1]:.1f} tok/s", flush=True)

    tokens_per_s, baseline_tokens_per_s = statistics.median(measured), statistics.median(baseline)
    print(f"model={name} new_tokens={tokens} repeats={args.repeats} tokens_per_s={tokens_per_s:.1f} "
          f"baseline_tokens_per_s={baseline_tokens_per_s:.1f} ratio={tokens_per_s / baseline_tokens_per_s:.2f} "
          f"target={TARGET}")


if __name__ == "__main__":
    main()
