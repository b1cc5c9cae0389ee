"""Many users at once, on the processes the Procfile starts.

Starts the Procfile's `web` and `io` lines with their defaults (meditrack.procfile; only WEB_PORT
and LOG_LEVEL are set): remote chat needs no beat, cpu or gpu worker. The loopback model server
(100 tokens at 50 tokens/s) runs in a process of its own. Then:

* 500 authenticated websockets (Bearer token on the handshake, 50 users, a session each) open and
  idle; 100 of them send a message in the same instant and, for the whole soak, again as soon as
  their reply is done;
* 20 SSE streams (POST chat/sessions/<id>/messages, Accept: text/event-stream), likewise in rounds;
* a trickle of ordinary API reads (chat/sessions, users/me), READS_PER_S a second.

It checks every reply's tokens arrive in order (indices 0..99, texts equal to the server's) and
prints their count; tokens per second per stream against a direct HTTP client streaming from the
same server at the same concurrency (120 streams, before and after the soak; ratio, target >=
0.95); p50/p95 time to first token; the peak of client backends in pg_stat_activity, sampled
every 100 ms (target <= DB_POOL_MAX_SIZE x the Django processes started); 5xx responses (target 0);
the RSS of web and io (with children) after the first round and after the soak (target growth <=
10%). `--soak SECONDS` (default 180) keeps the total under five minutes. Runs itself under
meditrack.embedded (var/bench): it needs nothing running beforehand.

Where the time goes: it also prints the CPU each process used during the soak and the machine's
total. The clients here are one asyncio loop (about 0.1 core for all of them) and the model
server another process (about 0.2), so on a small machine what saturates is the stack itself.
"""

import argparse
import asyncio
import json
import math
import os
import resource
import statistics
import threading
import time
import uuid
from dataclasses import dataclass, field

from chat_stream import REPLY, TOKENS, direct, direct_client, io_worker_answers, loopback_server
from stack import cpu_seconds, run_with_services, service_pids

SOCKETS = 500
STREAMING = 100
SSE = 20
USERS = 50
READS_PER_S = 4
OPENING_AT_ONCE = 50  # handshakes in flight while the 500 sockets open
REPLY_TIMEOUT_S = 30  # a reply not finished by then is lost (they take 2 s, plus time to first token)
SOAK_ENV = "LOAD_BENCH_SOAK_S"
PROCESSES = ["web", "io"]  # both run Django, each with its own pool of DB_POOL_MAX_SIZE connections


@dataclass
class Results:
    tokens: int = 0
    expected: int = 0
    out_of_order: int = 0  # replies whose indices or texts differ from the server's
    stream_errors: list = field(default_factory=list)  # error frames/events, lost replies, dropped sockets
    errors_5xx: int = 0
    other_statuses: dict = field(default_factory=dict)  # non-2xx below 500, by status
    ttft_ms: list = field(default_factory=list)
    saved_ms: list = field(default_factory=list)  # user_message -> message_started: the web's part of ttft
    tokens_per_s: list = field(default_factory=list)
    read_ms: list = field(default_factory=list)

    def status(self, code: int) -> None:
        if code >= 500:
            self.errors_5xx += 1
        elif code >= 300:
            self.other_statuses[code] = self.other_statuses.get(code, 0) + 1

    def reply(self, started: float, times: list[float], indices: list[int], texts: list[str]) -> None:
        self.expected += TOKENS
        self.tokens += len(indices)
        if indices != list(range(TOKENS)) or texts != REPLY:
            self.out_of_order += 1
        if times:
            self.ttft_ms.append((times[0] - started) * 1000)
        if len(times) > 1:
            self.tokens_per_s.append((len(times) - 1) / (times[-1] - times[0]))


class Soak:
    """Streams run in rounds until `deadline`, set once every stream has finished its first round."""

    def __init__(self, streams: int):
        self.deadline = math.inf
        self.pending_first = streams
        self.warmed_up = asyncio.Event()

    def round_done(self, first: bool) -> bool:
        """Whether to go on with another round."""
        if first:
            self.pending_first -= 1
            if self.pending_first == 0:
                self.warmed_up.set()
        return time.monotonic() < self.deadline


async def open_socket(url: str, token: str, gate: asyncio.Semaphore, results: Results):
    import websockets
    from websockets.exceptions import InvalidStatus

    async with gate:
        try:
            return await websockets.connect(url, additional_headers={"Authorization": f"Bearer {token}"},
                                            max_size=None, open_timeout=60)
        except InvalidStatus as exc:
            results.status(exc.response.status_code)
            results.stream_errors.append(f"handshake {exc.response.status_code}")
        except (TimeoutError, OSError) as exc:
            results.stream_errors.append(f"handshake {exc!r}")


async def ws_stream(ws, soak: Soak, results: Results, opened: asyncio.Barrier) -> None:
    from websockets.exceptions import ConnectionClosed

    await opened.wait()  # the first round starts in the same instant for every streaming socket
    first = True
    while True:
        started = time.perf_counter()
        times, indices, texts = [], [], []
        failed = None
        try:
            async with asyncio.timeout(REPLY_TIMEOUT_S):
                await ws.send(json.dumps({"type": "user_message", "content": "hi", "client_id": str(uuid.uuid4())}))
                while True:
                    frame = json.loads(await ws.recv())
                    if frame["type"] == "token":
                        times.append(time.perf_counter())
                        indices.append(frame["index"])
                        texts.append(frame["text"])
                    elif frame["type"] == "message_started":
                        results.saved_ms.append((time.perf_counter() - started) * 1000)
                    elif frame["type"] == "message_done":
                        if frame["content"] != "".join(REPLY):
                            failed = "message_done content differs from the server's reply"
                        break
                    elif frame["type"] == "error":
                        failed = f"error frame {frame.get('code')}: {frame.get('detail')}"
                        break
        except (TimeoutError, ConnectionClosed) as exc:
            failed = f"websocket: {exc!r} after {len(times)} tokens"
        if not next_round(soak, results, first, failed, started, times, indices, texts):
            return
        first = False


def next_round(soak, results, first: bool, failed: str | None, started: float, times, indices, texts) -> bool:
    """Record a finished reply; whether its stream sends again."""
    results.reply(started, times, indices, texts)
    go_on = soak.round_done(first)
    if failed:
        # The reply may still be streaming: sending again would only be refused as busy.
        results.stream_errors.append(failed)
        return False
    return go_on


async def sse_stream(client, url: str, token: str, soak: Soak, results: Results, opened: asyncio.Barrier) -> None:
    import httpx

    await opened.wait()
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
    first = True
    while True:
        started = time.perf_counter()
        times, indices, texts = [], [], []
        failed, status, lines = None, None, 0
        try:
            async with asyncio.timeout(REPLY_TIMEOUT_S), client.stream("POST", url, json={"content": "hi"},
                                                                        headers=headers) as response:
                status = response.status_code
                results.status(status)
                if status != 200:
                    failed = f"sse status {status}"
                else:
                    event = None
                    async for line in response.aiter_lines():
                        lines += 1
                        if line.startswith("event:"):
                            event = line[6:].strip()
                        elif line.startswith("data:") and event == "token":
                            data = json.loads(line[5:])
                            times.append(time.perf_counter())
                            indices.append(data["index"])
                            texts.append(data["text"])
                        elif line.startswith("data:") and event == "error":
                            failed = f"sse error event: {line[5:].strip()}"
        except (TimeoutError, httpx.HTTPError) as exc:
            failed = f"sse: {exc!r} after {len(times)} tokens (status {status}, {lines} lines)"
        if not next_round(soak, results, first, failed, started, times, indices, texts):
            return
        first = False


async def api_reads(client, base: str, tokens: list[str], stop: asyncio.Event, results: Results) -> None:
    import httpx

    async def read(path: str, token: str) -> None:
        started = time.perf_counter()
        try:
            response = await client.get(f"{base}{path}", headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as exc:
            results.stream_errors.append(f"read {path}: {exc!r}")
            return
        results.read_ms.append((time.perf_counter() - started) * 1000)
        results.status(response.status_code)

    reads, n = set(), 0
    while not stop.is_set():
        path = "/api/v1/chat/sessions" if n % 2 else "/api/v1/users/me"
        task = asyncio.ensure_future(read(path, tokens[n % len(tokens)]))
        reads.add(task)
        task.add_done_callback(reads.discard)
        n += 1
        await asyncio.sleep(1 / READS_PER_S)
    if reads:
        await asyncio.wait(reads)


async def baseline(url: str) -> tuple[list[float], list[float]]:
    """The same concurrency straight from the model server: (ttft ms, tokens/s) per stream."""
    async with direct_client() as client:
        runs = await asyncio.gather(*(direct(client, url) for _ in range(STREAMING + SSE)))
    return [r[0] for r in runs], [r[1] for r in runs]


class DbSampler(threading.Thread):
    """Peak of client backends on the bench database, its own connection left out."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url = url
        self.peak = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stopping.is_set():
                count = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND backend_type = 'client backend' AND pid <> pg_backend_pid()").fetchone()[0]
                self.peak = max(self.peak, count)
                self.stopping.wait(0.1)


def rss_mb(pid: int) -> float:
    import psutil

    process = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 2**20


async def drive(port: int, model_url: str, sessions: list[tuple[int, str]], sse_sessions: list[tuple[int, str]],
                tokens: list[str], pids: dict[str, int], soak_s: float) -> dict:
    import httpx

    results = Results()
    gate = asyncio.Semaphore(OPENING_AT_ONCE)
    opening = time.monotonic()
    sockets = await asyncio.gather(*(open_socket(f"ws://127.0.0.1:{port}/ws/chat/{pk}/", token, gate, results)
                                     for pk, token in sessions))
    open_s = time.monotonic() - opening
    live = [ws for ws in sockets if ws is not None]
    base_ttft, base_tps = await baseline(model_url)

    streaming = live[:STREAMING]
    soak = Soak(len(streaming) + SSE)
    opened = asyncio.Barrier(len(streaming) + SSE + 1)
    stop_reads = asyncio.Event()
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(timeout=REPLY_TIMEOUT_S,
                                 limits=httpx.Limits(max_connections=None, max_keepalive_connections=None)) as client:
        streams = [asyncio.ensure_future(ws_stream(ws, soak, results, opened)) for ws in streaming]
        streams += [asyncio.ensure_future(sse_stream(client, f"{base}/api/v1/chat/sessions/{pk}/messages", token,
                                                     soak, results, opened)) for pk, token in sse_sessions]
        reads = asyncio.ensure_future(api_reads(client, base, tokens, stop_reads, results))
        await opened.wait()
        await soak.warmed_up.wait()
        rss_start = {name: rss_mb(pids[name]) for name in PROCESSES}
        cpu_start, soak_started = cpu_seconds(pids), time.monotonic()
        soak.deadline = soak_started + soak_s
        await asyncio.gather(*streams)
        cpu_end, soak_ended = cpu_seconds(pids), time.monotonic()
        stop_reads.set()
        await reads
    rss_end = {name: rss_mb(pids[name]) for name in PROCESSES}
    # Still open and still ours: the server closed none of the 500 (an unauthenticated one it would).
    dropped = sum(1 for ws in live if ws.close_code is not None)
    results.stream_errors += ["socket closed by the server during the run"] * dropped
    await asyncio.gather(*(ws.close() for ws in live))
    after_ttft, after_tps = await baseline(model_url)
    return {"results": results, "open_s": open_s, "opened": len(live), "rss_start": rss_start, "rss_end": rss_end,
            "cpu": {name: (cpu_end[name] - cpu_start.get(name, 0.0)) / (soak_ended - soak_started)
                    for name in cpu_end},
            "base_ttft": base_ttft + after_ttft, "base_tps": base_tps + after_tps}


def measure() -> None:
    import httpx
    from django.conf import settings
    from django.db import connection
    from knox.models import AuthToken

    from assistant.models import ChatSession
    from meditrack.accounts.models import User
    from meditrack.procfile import free_port, running
    from meditrack.testing.factories import model, serve, tier
    from meditrack.testing.waiting import wait_until

    soak_s = float(os.environ[SOAK_ENV])
    # 500+ sockets of our own, and the children inherit it.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 65536, hard))

    users = [User.objects.get_or_create(email=f"load-bench-{i}@meditrack.local")[0] for i in range(USERS)]
    ChatSession.objects.filter(owner__in=users).delete()  # earlier runs' sessions: keep var/bench small
    # Several users: the per-user limits (DRF's user rate, the tier's rpm) are not what is measured.
    tokens = [AuthToken.objects.create(user=u)[1] for u in users]
    owners = [i % USERS for i in range(SOCKETS + SSE)]
    created = ChatSession.objects.bulk_create([ChatSession(owner=users[i]) for i in owners])
    sessions = [(s.pk, tokens[i]) for s, i in zip(created[:SOCKETS], owners, strict=False)]
    sse_sessions = [(s.pk, tokens[i]) for s, i in zip(created[SOCKETS:], owners[SOCKETS:], strict=True)]
    bound = settings.DB_POOL_MAX_SIZE * len(PROCESSES)
    port = free_port()
    with loopback_server() as (base_url, server_pid):
        serve(tier("standard", rpm=1_000_000, max_new_tokens=TOKENS),
              model("bench-chat", base_url=f"{base_url}/v1", model_id="bench-chat", queue="io"))
        # This process's pool would count among the backends: it does no database work from here on.
        connection.close()
        connection.close_pool()
        sampler = DbSampler(os.environ["DATABASE_URL"])
        sampler.start()
        with running(PROCESSES, env={"WEB_PORT": str(port), "LOG_LEVEL": "WARNING"}) as processes:
            wait_until(io_worker_answers, what="the io worker")
            wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=10).status_code == 200,
                       tolerate=(httpx.HTTPError,),
                       what="the web process")
            pids = {name: p.pid for name, p in processes.items()}
            pids |= {"bench": os.getpid(), "model_server": server_pid, **service_pids()}
            run = asyncio.run(drive(port, f"{base_url}/v1/chat/completions", sessions, sse_sessions, tokens, pids,
                                    soak_s))
        sampler.stopping.set()
        sampler.join()

    results: Results = run["results"]
    tps, base_tps = statistics.median(results.tokens_per_s), statistics.median(run["base_tps"])
    ttft = statistics.quantiles(results.ttft_ms, n=20)
    growth = {name: run["rss_end"][name] / run["rss_start"][name] - 1 for name in PROCESSES}
    in_order = int(results.out_of_order == 0 and results.tokens == results.expected)
    print(f"sockets_open={run['opened']}/{SOCKETS} open_s={run['open_s']:.1f} replies={len(results.ttft_ms)} "
          f"stream_errors={len(results.stream_errors)} other_statuses={results.other_statuses or 0} "
          f"read_p50_ms={statistics.median(results.read_ms):.0f} "
          f"read_p95_ms={statistics.quantiles(results.read_ms, n=20)[18]:.0f} reads={len(results.read_ms)}")
    for error, count in sorted({e: results.stream_errors.count(e) for e in results.stream_errors}.items())[:10]:
        print(f"  stream error x{count}: {error}")
    print("rss_mb " + " ".join(f"{name}={run['rss_start'][name]:.0f}->{run['rss_end'][name]:.0f}" for name in PROCESSES)
          + f" soak_s={soak_s:g}")
    print("cpu_cores_during_soak " + " ".join(f"{name}={share:.2f}" for name, share in run["cpu"].items())
          + f" of {os.cpu_count()} (1-min load average at the end {os.getloadavg()[0]:.1f})")
    print(f"tokens_per_s_p50={tps:.1f} tokens_per_s_p5={statistics.quantiles(results.tokens_per_s, n=20)[0]:.1f} "
          f"baseline_tokens_per_s={base_tps:.1f} baseline_ttft_p50_ms={statistics.median(run['base_ttft']):.0f} "
          f"ws_message_started_p50_ms={statistics.median(results.saved_ms):.0f}")
    print(f"tokens={results.tokens} tokens_expected={results.expected} in_order={in_order} ratio={tps / base_tps:.3f} "
          f"ttft_p50_ms={ttft[9]:.0f} ttft_p95_ms={ttft[18]:.0f} db_conn_peak={sampler.peak} db_conn_bound={bound} "
          f"errors_5xx={results.errors_5xx} rss_growth={max(growth.values()):.3f} "
          f"target=ratio>=0.95,db_conn_peak<=bound,errors_5xx=0,rss_growth<=0.10")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="500 websockets, 100 streaming, 20 SSE, a trickle of reads.")
    parser.add_argument("--soak", type=float, help="seconds of streaming after warm-up (default 180)")
    soak = parser.parse_args().soak
    # run_with_services re-runs this script without its arguments; the environment goes through.
    if soak is not None or SOAK_ENV not in os.environ:
        os.environ[SOAK_ENV] = str(soak if soak is not None else 180)
    run_with_services(__file__, measure)
