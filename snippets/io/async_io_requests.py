"""Async I/O: n requests to a slow local server, one after another, from a thread pool, or from asyncio.

The server stands in for a remote service: an aiohttp server on 127.0.0.1, in a process of its
own (its own interpreter, its own GIL), that waits DELAY_MS (asyncio.sleep) before it answers
each request with a body of BODY_BYTES, which the client checks byte for byte. Every variant
sends the same n requests and checks every answer:

- sequential, urllib: one blocking request after another (urllib.request, a new connection
  each). Each request waits the whole delay before the next one starts: n waits.
- threads (64), urllib: the same blocking calls from a pool of 64 threads, started in setup().
  A thread blocked on a socket releases the GIL, so up to 64 waits overlap.
- asyncio (64), aiohttp: one event loop in one thread, one ClientSession (its connections kept
  alive between batches), asyncio.gather over the n requests, an asyncio.Semaphore letting at most
  64 be in flight. While one request waits, the loop sends the next: about n / 64 waits.
- asyncio (8), aiohttp: the same with a limit of 8: about n / 8 waits.
- asyncio (64), no delay: the server answers at once, so nothing waits but the two processes
  themselves; requests per second stop growing where one of them is busy all the time
  (counters() measures the CPU time each side spends per request).

The server is started in setup() on a free port and stopped in teardown(). It watches the
process that started it and exits within a fraction of a second once that process is gone,
killed or not (os.getppid() changes; its stdin reaches end of file). Run with --serve, this file
is that server.

Run it:  python async_io_requests.py            (full sizes, about fifteen seconds)
         python async_io_requests.py --quick    (1 and 4 requests, a shorter delay, two seconds)
"""

import asyncio
import contextlib
import functools
import os
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import aiohttp

TITLE = "n requests to a local server that waits before it answers: sequential, threads, asyncio"
UNIT = "request"
SIZE_UNIT = "requests"
QUICK_SIZES = [1, 4]
SIZES = [1, 4, 16, 64, 256]
BUDGET_S = 20
# The sequential client takes n waits per call: past 16 requests it would take most of the budget.
# asyncio with 8 in flight takes n / 8 waits: 256 requests would be 32 waits per call.
LIMITS = {"sequential, urllib": 16, "asyncio (8), aiohttp": 64}
DELAY_MS = 20  # the remote service's think time: far longer than a loopback round trip
QUICK_OVERRIDES = {"DELAY_MS": 5}
BODY_BYTES = 4096  # each answer's size; the client checks every byte
HOST = "127.0.0.1"  # loopback only: nothing leaves this machine
THREADS = 64
WIDE, NARROW = 64, 8  # requests in flight at once, for the two asyncio variants
REQUEST_TIMEOUT_S = 10  # every request; a batch is bounded as a whole too
BATCH_TIMEOUT_S = 60
SERVER_START_S = 20  # a server that has not answered by then is killed, and setup fails
SERVER_LIFETIME_S = 1800  # a server never outlives this, whatever happens to its parent
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy


def body(i: int) -> bytes:
    """The answer to request i: its number, repeated to BODY_BYTES."""
    line = f"{i:08d}\n".encode()
    return (line * (BODY_BYTES // len(line) + 1))[:BODY_BYTES]


# ---- the server: `python async_io_requests.py --serve --parent PID` --------------------------------


def serve(parent: int) -> None:
    """Answer GET /r/<i>?ms=<delay> after the delay, and GET /stats with this process's CPU
    seconds; print the port once listening; exit when the parent is gone or closes our stdin."""
    from aiohttp import web

    async def reply(request):
        delay_ms = float(request.query.get("ms", "0"))
        if delay_ms > 0:
            await asyncio.sleep(delay_ms / 1000)
        return web.Response(body=body(int(request.match_info["i"])), content_type="application/octet-stream")

    async def stats(request):
        return web.Response(text=repr(time.process_time()))

    async def main():
        loop = asyncio.get_running_loop()
        gone = asyncio.Event()
        app = web.Application()
        app.router.add_get("/r/{i}", reply)
        app.router.add_get("/stats", stats)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1)
        await runner.setup()
        try:
            await web.TCPSite(runner, HOST, 0, backlog=1024).start()
            print(f"port {runner.addresses[0][1]}", flush=True)
            threading.Thread(target=_until_eof, args=(loop, gone), daemon=True).start()
            deadline = loop.time() + SERVER_LIFETIME_S
            while not gone.is_set() and os.getppid() == parent and loop.time() < deadline:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(gone.wait(), 0.2)
        finally:
            await runner.cleanup()

    asyncio.run(main())


def _until_eof(loop, gone) -> None:
    """Read stdin until the parent closes it or dies (end of file), then tell the loop."""
    try:
        while os.read(sys.stdin.fileno(), 4096):  # unbuffered: no lock held at interpreter exit
            pass
    finally:
        with contextlib.suppress(RuntimeError):  # the loop is already closed
            loop.call_soon_threadsafe(gone.set)


# ---- the client's side of the server: start it, stop it ---------------------------------------------


def start_server() -> dict:
    """This file run with --serve, on a free port; returns once it answers, within SERVER_START_S."""
    command = [sys.executable, str(Path(__file__).resolve()), "--serve", "--parent", str(os.getpid())]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    server = {"process": process}
    try:
        deadline = time.monotonic() + SERVER_START_S
        line = _read_line(process, SERVER_START_S)
        if not line.startswith(b"port "):
            raise RuntimeError(f"the server did not start (it said {line!r}, exit code {process.poll()})")
        server["url"] = f"http://{HOST}:{int(line.split()[1])}"
        while True:  # it listens before it prints its port; ask once to be sure it answers
            try:
                with _DIRECT.open(server["url"] + "/stats", timeout=1) as answer:
                    answer.read()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.05)
    except BaseException:
        stop_server(server)
        raise
    print(f"{Path(__file__).name}: server on {server['url']} (pid {process.pid})", file=sys.stderr, flush=True)
    return server


def _read_line(process, timeout_s: float) -> bytes:
    """The first line the process prints, or b"" if none comes within timeout_s (then it is killed)."""
    line = []
    reader = threading.Thread(target=lambda: line.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout_s)
    if reader.is_alive():
        process.kill()
        reader.join()
    process.stdout.close()
    return line[0] if line else b""


def stop_server(server: dict) -> None:
    """Close its stdin (it exits at end of file), terminate it, and kill it if it lingers."""
    process = server["process"]
    with contextlib.suppress(OSError):
        process.stdin.close()
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait()


def server_cpu_s(server: dict) -> float:
    """The server process's CPU seconds so far, as it reports them."""
    with _DIRECT.open(server["url"] + "/stats", timeout=REQUEST_TIMEOUT_S) as answer:
        return float(answer.read())


# ---- the experiment ---------------------------------------------------------------------------------


def setup(n):
    """The server, a pool of threads, and an event loop with one ClientSession, for n requests."""
    data = {"n": n, "server": start_server()}
    data["url"] = data["server"]["url"]
    try:
        data["pool"] = ThreadPoolExecutor(max_workers=THREADS)
        data["loop"] = asyncio.new_event_loop()
        data["session"] = data["loop"].run_until_complete(_session())
    except BaseException:
        teardown(data)
        raise
    return data


async def _session():
    # No connection limit of its own: each variant's Semaphore is the only limit.
    connector = aiohttp.TCPConnector(limit=0)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S))


def teardown(data):
    """Close whatever setup() got to, in reverse; the server last, whatever else failed."""
    try:
        if "session" in data:
            data["loop"].run_until_complete(data["session"].close())
        if "loop" in data:
            data["loop"].close()
        if "pool" in data:
            data["pool"].shutdown(wait=True, cancel_futures=True)
    finally:
        stop_server(data["server"])


def _fetch(url: str, delay_ms: float, i: int) -> tuple[int, bytes]:
    with _DIRECT.open(f"{url}/r/{i}?ms={delay_ms}", timeout=REQUEST_TIMEOUT_S) as answer:
        return i, answer.read()


async def _gather(session, url: str, n: int, delay_ms: float, limit: int):
    gate = asyncio.Semaphore(limit)

    async def one(i):
        async with gate, session.get(f"{url}/r/{i}?ms={delay_ms}") as answer:
            answer.raise_for_status()
            return i, await answer.read()

    return await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(n))), BATCH_TIMEOUT_S)


def _tally(answers) -> list[int]:
    """[requests answered correctly, requests answered, bytes received]."""
    answers = list(answers)
    right = sum(data == body(i) for i, data in answers)
    return [right, len(answers), sum(len(data) for _, data in answers)]


def sequential(data):
    return _tally(_fetch(data["url"], DELAY_MS, i) for i in range(data["n"]))


def threads(data):
    fetch = functools.partial(_fetch, data["url"], DELAY_MS)
    return _tally(data["pool"].map(fetch, range(data["n"]), timeout=BATCH_TIMEOUT_S))


def asyncio_wide(data, delay_ms=None):
    delay = DELAY_MS if delay_ms is None else delay_ms
    return _tally(data["loop"].run_until_complete(_gather(data["session"], data["url"], data["n"], delay, WIDE)))


def asyncio_narrow(data):
    return _tally(data["loop"].run_until_complete(_gather(data["session"], data["url"], data["n"], DELAY_MS, NARROW)))


def asyncio_no_delay(data):
    return asyncio_wide(data, delay_ms=0)


VARIANTS = {
    "sequential, urllib": sequential,
    "threads (64), urllib": threads,
    "asyncio (64), aiohttp": asyncio_wide,
    "asyncio (8), aiohttp": asyncio_narrow,
    "asyncio (64), no delay": asyncio_no_delay,
}


def agree(outputs):
    """Every variant got every answer right, and all got the same number of requests and bytes."""
    answers = [[float(x) for x in answer] for answer in outputs.values()]
    return all(a == answers[0] for a in answers) and answers[0][0] == answers[0][1]


def counters(variant, data):
    """For one call: CPU time per request of this process (the client, all its threads) and of
    the server, and how many cores each kept busy on average (CPU time over wall time)."""
    server_before, cpu, wall = server_cpu_s(data["server"]), time.process_time(), time.perf_counter()
    VARIANTS[variant](data)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    server = server_cpu_s(data["server"]) - server_before
    n = data["n"]
    return {
        "client CPU us per request": round(cpu / n * 1e6, 1),
        "server CPU us per request": round(server / n * 1e6, 1),
        "client busy cores": round(cpu / wall, 2),
        "server busy cores": round(server / wall, 2),
    }


CLAIMS = {
    # Sixteen requests at once wait about as long as one: the waits overlap. Ideally 16 times less
    # per request; the loop's own work per request and the connection set-up keep it below that.
    "waits-overlap": {"variant": "asyncio (64), aiohttp", "faster_at": 16, "slower_at": 1, "by_at_least": 5},
    "threads-overlap-too": {"variant": "threads (64), urllib", "faster_at": 16, "slower_at": 1, "by_at_least": 5},
    # Sequential: 16 waits; asyncio: about one.
    "asyncio-beats-sequential": {
        "faster": "asyncio (64), aiohttp",
        "slower": "sequential, urllib",
        "at": 16,
        "by_at_least": 5,
    },
    # 64 requests, 8 in flight: 8 waits, against one with 64 in flight.
    "the-limit-sets-the-waits": {
        "faster": "asyncio (64), aiohttp",
        "slower": "asyncio (8), aiohttp",
        "at": 64,
        "by_at_least": 3,
    },
    # Past the limit, more requests only queue: 256 requests at 64 in flight are 4 waits, 64 are one.
    "flat-past-the-limit": {
        "variant": "asyncio (64), aiohttp",
        "faster_at": 256,
        "slower_at": 64,
        "by_at_most": 1.4,
    },
    # With no wait to overlap, the two processes' own work sets the pace: 16 times more requests
    # in flight buy little, where with the wait they bought most of 16 times (waits-overlap).
    "no-delay-saturates": {
        "variant": "asyncio (64), no delay",
        "faster_at": 256,
        "slower_at": 16,
        "by_at_most": 2.5,
    },
    # At 256 requests, the delayed batches still spend most of their time waiting on the server.
    "waits-still-dominate": {
        "faster": "asyncio (64), no delay",
        "slower": "asyncio (64), aiohttp",
        "at": 256,
        "by_at_least": 2,
    },
}


if __name__ == "__main__":
    if "--serve" in sys.argv:  # the server, started by start_server()
        serve(int(sys.argv[sys.argv.index("--parent") + 1]))
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
        from bench.measure import standalone

        standalone(sys.modules[__name__])
