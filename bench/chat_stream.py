"""Chat streaming through the whole stack vs straight from the model server.

Stack: a websocket client -> the Procfile's `web` (daphne) -> the chat consumer -> the Procfile's
`io` worker (Celery, threads pool) -> the inference layer -> the loopback model server, tokens back
through a Redis Stream. Only `web` and `io` are started, from the Procfile's own command lines with
their defaults (meditrack.procfile): remote chat needs no beat, cpu or gpu worker. Baseline: an
HTTP client reading the same server's stream directly. The server streams at a fixed rate, so any
gap is ours; it runs in a process of its own, so its threads do not share this process's GIL with
the clients being timed. Measured with 1 and with 50 sessions sending in the same instant: time to first token
(p50 overhead, targets <= 30 ms and <= 100 ms) and tokens per second per session (ratio, target
>= 0.95 at both). Runs itself under meditrack.embedded (var/bench): it needs nothing running
beforehand.
"""

import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from stack import cpu_seconds, run_with_services, service_pids

ROOT = Path(__file__).resolve().parent.parent
TOKENS = 100
TOKEN_DELAY_S = 0.02  # 50 tokens/s from the model server
ROUNDS = {1: 5, 50: 1}
REPLY = [f"t{i} " for i in range(TOKENS)]

# model_server imports nothing from Django; loading it by path keeps the meditrack package out too.
_SERVER = """
import json, sys
sys.path.insert(0, "meditrack/testing")
from model_server import ModelServer
server = ModelServer().start()
server.reply, server.token_delay = json.loads(sys.argv[1]), float(sys.argv[2])
print(server.base_url, flush=True)
sys.stdin.read()
server.stop()
"""


@contextlib.contextmanager
def loopback_server() -> Iterator[tuple[str, int]]:
    """The loopback model server (REPLY at TOKEN_DELAY_S) in a process of its own: (base URL, pid)."""
    process = subprocess.Popen([sys.executable, "-c", _SERVER, json.dumps(REPLY), str(TOKEN_DELAY_S)], cwd=ROOT,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        yield process.stdout.readline().strip(), process.pid
    finally:
        process.stdin.close()  # it stops when its stdin ends
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def direct(client, url: str) -> tuple[float, float]:
    body = {"model": "bench", "messages": [{"role": "user", "content": "hi"}], "max_tokens": TOKENS, "stream": True}
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


def direct_client():
    """One client for every direct stream: building one per stream (its SSL context) costs tens of
    milliseconds of CPU, which a crowd of streams started together would count as time to first token."""
    import httpx

    return httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=None, max_keepalive_connections=None))


async def through_stack(ws_url: str, token: str, opened: asyncio.Barrier) -> tuple[float, float]:
    import websockets

    async with websockets.connect(ws_url, additional_headers={"Authorization": f"Bearer {token}"},
                                  max_size=None) as ws:
        await opened.wait()  # every socket is open first: the sessions send in the same instant
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


async def direct_many(n: int, url: str) -> list[tuple[float, float]]:
    async with direct_client() as client:
        return await asyncio.gather(*(direct(client, url) for _ in range(n)))


async def stack_many(port: int, sessions: list[int], token: str) -> list[tuple[float, float]]:
    opened = asyncio.Barrier(len(sessions))
    return await asyncio.gather(*(through_stack(f"ws://127.0.0.1:{port}/ws/chat/{pk}/", token, opened)
                                  for pk in sessions))


def io_worker_answers() -> bool:
    from meditrack.celery import app as celery_app

    return any(name.startswith("io@") for reply in celery_app.control.ping(timeout=0.5) for name in reply)


def measure() -> None:
    import httpx
    from knox.models import AuthToken

    from assistant.models import ChatSession
    from meditrack.accounts.models import User
    from meditrack.procfile import free_port, running
    from meditrack.testing.factories import model, serve, tier
    from meditrack.testing.waiting import wait_until

    user, _ = User.objects.get_or_create(email="chat-bench@meditrack.local")
    token = AuthToken.objects.create(user=user)[1]
    sessions = [ChatSession.objects.create(owner=user).pk for _ in range(max(ROUNDS))]
    port = free_port()
    with loopback_server() as (base_url, server_pid):
        # A high rpm: the bench measures streaming, not the tier's per-user limit.
        serve(tier("standard", rpm=1_000_000, max_new_tokens=TOKENS),
              model("bench-chat", base_url=f"{base_url}/v1", model_id="bench-chat", queue="io"))
        # Only the port and the log level: everything else is the Procfile's defaults.
        with running(["web", "io"], env={"WEB_PORT": str(port), "LOG_LEVEL": "WARNING"}) as processes:
            pids = {"web": processes["web"].pid, "io": processes["io"].pid, "model_server": server_pid,
                    **service_pids()}
            wait_until(io_worker_answers, what="the io worker")
            wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=10).status_code == 200,
                       tolerate=(httpx.HTTPError,),
                       what="the web process")
            url = f"{base_url}/v1/chat/completions"
            figures, cpu_per_reply = {}, {}
            for n, rounds in ROUNDS.items():
                stack_ttft, stack_tps, direct_ttft, direct_tps = [], [], [], []
                cpu = dict.fromkeys(pids, 0.0)
                for _ in range(rounds):  # alternate, so drift on a noisy machine hits both alike
                    for ttft, tps in asyncio.run(direct_many(n, url)):
                        direct_ttft.append(ttft)
                        direct_tps.append(tps)
                    before = cpu_seconds(pids)
                    for ttft, tps in asyncio.run(stack_many(port, sessions[:n], token)):
                        stack_ttft.append(ttft)
                        stack_tps.append(tps)
                    after = cpu_seconds(pids)
                    for name in cpu:
                        cpu[name] += after.get(name, 0.0) - before.get(name, 0.0)
                cpu_per_reply[n] = {name: seconds * 1000 / (n * rounds) for name, seconds in cpu.items()}
                figures[n] = (statistics.median(stack_ttft) - statistics.median(direct_ttft),
                              statistics.median(stack_tps) / statistics.median(direct_tps),
                              statistics.median(stack_tps), statistics.median(direct_tps))
    one, fifty = figures[1], figures[50]
    for n, (overhead, ratio, tps, baseline_tps) in figures.items():
        print(f"sessions={n} ttft_overhead_ms={overhead:.1f} tokens_per_s={tps:.1f} "
              f"baseline_tokens_per_s={baseline_tps:.1f} ratio={ratio:.3f}")
    # What bounds the crowd's time to first token: every reply's CPU, in processes that share the cores.
    print("cpu_ms_per_reply_at_50 " + " ".join(f"{name}={ms:.1f}" for name, ms in cpu_per_reply[50].items())
          + f" cores={os.cpu_count()}")
    print(f"ttft_overhead_ms_1={one[0]:.1f} ttft_overhead_ms_50={fifty[0]:.1f} ratio_1={one[1]:.3f} "
          f"ratio_50={fifty[1]:.3f} ratio={min(one[1], fifty[1]):.3f} "
          f"target=ttft_overhead_ms_1<=30,ttft_overhead_ms_50<=100,ratio>=0.95")


if __name__ == "__main__":
    run_with_services(__file__, measure)
