"""Per-call latency through the inference layer vs a bare HTTP call to the same loopback server.

The layer: the tier's plan (database, cached per registry version), the per-user limit (Redis),
retries and the circuit breaker, the stream and its guards, the call log and metrics, for an
OpenAI-compatible model. The baseline: the same streamed request on the same HTTP session, parsed
by hand. Runs itself under meditrack.embedded (var/bench), so it needs nothing running beforehand.
"""

import os
import statistics
import time
from pathlib import Path

from stack import run_with_services

ROOT = Path(__file__).resolve().parent.parent
CALLS = int(os.environ.get("BENCH_CALLS", 300))
TARGET_EXTRA_MS = 2.0


def bare_call(client, url: str, body: dict) -> str:
    import json

    parts = []
    with client.stream("POST", url, json=body) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if line.startswith("data:") and line.strip() != "data: [DONE]":
                choices = json.loads(line[5:])["choices"]
                if choices and choices[0]["delta"].get("content"):
                    parts.append(choices[0]["delta"]["content"])
    return "".join(parts)


def p50_ms(fn, n: int) -> float:
    timings = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def measure() -> None:
    from huggingface_hub import get_session

    from meditrack.accounts.models import User
    from meditrack.inference import services
    from meditrack.inference.types import ChatMessage
    from meditrack.testing.factories import model, serve, tier
    from meditrack.testing.model_server import ModelServer

    user, _ = User.objects.get_or_create(email="bench@meditrack.local")
    with ModelServer() as server:
        server.reply = ["Hello", " there", ",", " friend", "."]
        serve(tier("standard", rpm=1_000_000), model("bench-chat", base_url=f"{server.base_url}/v1",
                                                      model_id="bench-chat"))
        messages = [ChatMessage("user", "Hello")]
        body = {"model": "bench-chat", "messages": [{"role": "user", "content": "Hello"}], "max_tokens": 256,
                "stream": True}
        url = f"{server.base_url}/v1/chat/completions"
        # The same HTTP client (httpx2, keep-alive) that InferenceClient uses underneath.
        client = get_session()

        assert bare_call(client, url, body) == services.chat_complete(user=user, messages=messages).text
        for _ in range(20):  # warm both paths: imports, connections, the breaker
            bare_call(client, url, body)
            services.chat_complete(user=user, messages=messages)
        # Interleaved rounds, so drift on a noisy machine hits both alike.
        layer, bare = [], []
        for _ in range(5):
            bare.append(p50_ms(lambda: bare_call(client, url, body), CALLS // 5))
            layer.append(p50_ms(lambda: services.chat_complete(user=user, messages=messages), CALLS // 5))
    layer_ms, bare_ms = statistics.median(layer), statistics.median(bare)
    extra = layer_ms - bare_ms
    print(f"layer_p50_ms={layer_ms:.2f} baseline_p50_ms={bare_ms:.2f} extra_ms={extra:.2f} "
          f"ratio={layer_ms / bare_ms:.2f} target=extra_ms<={TARGET_EXTRA_MS}")


if __name__ == "__main__":
    run_with_services(__file__, measure)
