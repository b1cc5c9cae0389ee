"""Chat streaming through the whole stack vs straight from the model server.

Stack: a websocket client -> daphne -> the chat consumer -> Celery (a worker process) -> the
inference layer -> the loopback model server, tokens back through a Redis Stream. Baseline: an
HTTP client reading the same server's stream directly. The server streams at a fixed rate, so
any gap is ours. Measured with 1 and with 50 concurrent sessions: time to first token (p50
overhead, target <= 30 ms) and tokens per second per session (ratio, target >= 0.95).
Runs itself under meditrack.embedded (var/bench): it needs nothing running beforehand.
"""

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from stack import run_with_services

ROOT = Path(__file__).resolve().parent.parent
TOKENS = 100
TOKEN_DELAY_S = 0.02  # 50 tokens/s from the model server
ROUNDS = {1: 5, 50: 1}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def direct(url: str) -> tuple[float, float]:
    import httpx

    body = {"model": "bench", "messages": [{"role": "user", "content": "hi"}], "max_tokens": TOKENS, "stream": True}
    async with httpx.AsyncClient(timeout=60) as client:
        started = time.perf_counter()
        first = last = None
        count = 0
        async with client.stream("POST", url, json=body) as response:
            async for line in response.aiter_lines():
                if line.startswith("data:") and "[DONE]" not in line:
                    choices = json.loads(line[5:])["choices"]
                    if choices and choices[0]["delta"].get("content"):
                        last = time.perf_counter()
                        first = first or last
                        count += 1
    return (first - started) * 1000, (count - 1) / (last - first)


async def through_stack(ws_url: str, token: str) -> tuple[float, float]:
    import websockets

    async with websockets.connect(ws_url, additional_headers={"Authorization": f"Bearer {token}"},
                                  max_size=None) as ws:
        started = time.perf_counter()
        await ws.send(json.dumps({"type": "user_message", "content": "hi"}))
        first = last = None
        count = 0
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == "token":
                last = time.perf_counter()
                first = first or last
                count += 1
            elif frame["type"] in ("message_done", "error"):
                assert frame["type"] == "message_done", frame
                break
    assert count == TOKENS, count
    return (first - started) * 1000, (count - 1) / (last - first)


async def run_many(n: int, make) -> tuple[list[float], list[float]]:
    results = await asyncio.gather(*(make(i) for i in range(n)))
    return [r[0] for r in results], [r[1] for r in results]


def wait_for(predicate, timeout=60.0):
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        try:
            if predicate():
                return
        except httpx.TransportError:  # not listening yet
            pass
        if time.monotonic() > deadline:
            raise TimeoutError
        time.sleep(0.2)


def measure() -> None:
    import httpx
    from knox.models import AuthToken

    from assistant.models import ChatSession
    from meditrack.accounts.models import User
    from meditrack.celery import app as celery_app
    from meditrack.inference.tests.factories import model, serve, tier
    from meditrack.inference.tests.fake_server import ModelServer

    user, _ = User.objects.get_or_create(email="chat-bench@meditrack.local")
    token = AuthToken.objects.create(user=user)[1]
    sessions = [ChatSession.objects.create(owner=user) for _ in range(max(ROUNDS))]
    port = free_port()
    env = {**os.environ, "LOG_LEVEL": "WARNING", "DB_POOL_MAX_SIZE": "20"}
    with ModelServer() as server:
        server.reply = [f"t{i} " for i in range(TOKENS)]
        server.token_delay = TOKEN_DELAY_S
        serve(tier("standard", rpm=1_000_000, max_new_tokens=TOKENS),
              model("bench-chat", base_url=f"{server.base_url}/v1", model_id="bench-chat", queue="io"))
        processes = [
            subprocess.Popen([sys.executable, "-m", "daphne", "--verbosity", "0", "--bind", "127.0.0.1", "--port",
                              str(port), "meditrack.asgi:application"], cwd=ROOT, env=env,
                             stdout=subprocess.DEVNULL),
            subprocess.Popen([sys.executable, "-m", "celery", "--app", "meditrack", "worker", "--queues", "io",
                              "--pool", "threads", "--concurrency", "60", "--hostname", "bench@localhost",
                              "--loglevel", "WARNING"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL),
        ]
        try:
            wait_for(lambda: celery_app.control.ping(destination=["bench@localhost"], timeout=0.5))
            wait_for(lambda: httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=10).status_code == 200)
            url = f"{server.base_url}/v1/chat/completions"
            figures = {}
            for n, rounds in ROUNDS.items():
                stack_ttft, stack_tps, direct_ttft, direct_tps = [], [], [], []
                for _ in range(rounds):  # alternate, so drift on a noisy machine hits both alike
                    t, r = asyncio.run(run_many(n, lambda i: direct(url)))
                    direct_ttft += t
                    direct_tps += r
                    t, r = asyncio.run(run_many(n, lambda i: through_stack(
                        f"ws://127.0.0.1:{port}/ws/chat/{sessions[i].pk}/", token)))
                    stack_ttft += t
                    stack_tps += r
                figures[n] = (statistics.median(stack_ttft) - statistics.median(direct_ttft),
                              statistics.median(stack_tps) / statistics.median(direct_tps),
                              statistics.median(stack_tps), statistics.median(direct_tps))
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(30)
    one, fifty = figures[1], figures[50]
    print(f"sessions=1 ttft_overhead_ms={one[0]:.1f} tokens_per_s={one[2]:.1f} baseline_tokens_per_s={one[3]:.1f} "
          f"ratio={one[1]:.3f}")
    print(f"sessions=50 ttft_overhead_ms={fifty[0]:.1f} tokens_per_s={fifty[2]:.1f} "
          f"baseline_tokens_per_s={fifty[3]:.1f} ratio={fifty[1]:.3f}")
    print(f"ttft_overhead_ms_1={one[0]:.1f} ttft_overhead_ms_50={fifty[0]:.1f} ratio_1={one[1]:.3f} "
          f"ratio_50={fifty[1]:.3f} ratio={min(one[1], fifty[1]):.3f} target=ttft_overhead_ms<=30,ratio>=0.95")


if __name__ == "__main__":
    run_with_services(__file__, measure)
