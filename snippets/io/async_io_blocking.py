"""Async I/O: one blocking step inside an event loop, and what it costs the requests beside it.

One call is a batch: REQUESTS concurrent requests to the local server of async_io_requests.py
(in a process of its own, waiting DELAY_MS before each answer), gathered on one event loop with
one ClientSession, together with one step of s milliseconds (the size) that blocks. The step is
the first task of the batch, as a handler that happened to be scheduled first would be, and it is
always shorter than the server's wait, so a batch that hides it takes one wait. The time of the
call is the time until every request has its answer and the step is done:

- async, nothing else: the requests alone, no step: one wait, whatever s is.
- sleep in the loop: time.sleep(s) in a coroutine (a blocking call: a synchronous client, a
  file read). The loop cannot run anything else meanwhile: no request is even sent until it ends.
- sleep via to_thread: the same call through asyncio.to_thread. The thread sleeps without the
  GIL; the loop sends the requests at once.
- CPU in the loop: s milliseconds of pure-Python arithmetic in a coroutine: the same as a sleep,
  for the loop.
- CPU via to_thread: the same arithmetic through asyncio.to_thread. Where a GIL exists the
  thread holds it while it computes; the loop thread gets it back only when the interpreter makes
  the thread let go (every sys.getswitchinterval(), 5 ms by default), and gives it up at each
  socket call. Where the build has no GIL (3.13t and later), the two threads run side by side.
- CPU in a process pool: the same arithmetic through loop.run_in_executor with a
  ProcessPoolExecutor of one worker, started in setup(): another interpreter, another GIL.

counters() records each request's latency (from the start of the batch to its answer) for one
call: the median and the slowest.

Run it:  python async_io_blocking.py            (full sizes, about ten seconds)
         python async_io_blocking.py --quick    (one step length, a shorter wait, two seconds)
"""

import asyncio
import os
import statistics
import threading
import time
from concurrent.futures import ProcessPoolExecutor

import aiohttp
from async_io_requests import body, start_server, stop_server

TITLE = "16 concurrent requests on one event loop beside one blocking step of s ms"
UNIT = "batch"
SIZE_UNIT = "ms of blocking"
QUICK_SIZES = [5]
SIZES = [2, 10, 20]
BUDGET_S = 15
REQUESTS = 16
DELAY_MS = 25  # the server's wait: longer than the longest step, so a step hidden costs nothing
QUICK_OVERRIDES = {"DELAY_MS": 8}
REQUEST_TIMEOUT_S = 10
BATCH_TIMEOUT_S = 60


def cpu_step(ms: float) -> int:
    """Pure-Python arithmetic until ms milliseconds have passed; holds the GIL where there is one."""
    end = time.perf_counter() + ms / 1000
    rounds = 0
    while time.perf_counter() < end:
        total = 0
        for i in range(256):
            total += i * i
        rounds += 1
    return rounds


def _exit_with_parent(snippet: int) -> None:
    """In the pool's worker: exit once the process that made the pool is gone (killed, say). Its
    parent is that process under fork and spawn, a fork server under forkserver: watch both."""
    parent = os.getppid()

    def gone() -> bool:
        if os.getppid() != parent:
            return True
        try:
            os.kill(snippet, 0)  # signal 0: only asks whether the process exists
        except ProcessLookupError:
            return True
        except OSError:  # it exists, as another user's process could: keep going
            pass
        return False

    def watch():
        while not gone():
            time.sleep(0.2)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def setup(n):
    """The server, an event loop with one ClientSession, and a process pool whose worker is up."""
    data = {"ms": n, "server": start_server(), "latencies": []}
    data["url"] = data["server"]["url"]
    try:
        data["loop"] = asyncio.new_event_loop()
        data["session"] = data["loop"].run_until_complete(_session())
        data["pool"] = ProcessPoolExecutor(max_workers=1, initializer=_exit_with_parent, initargs=(os.getpid(),))
        data["pool"].submit(cpu_step, 0).result(timeout=60)  # its worker started now, not in a timed call
    except BaseException:
        teardown(data)
        raise
    return data


async def _session():
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0), timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    )


def teardown(data):
    """Close whatever setup() got to; the server last, whatever else failed."""
    try:
        if "session" in data:
            data["loop"].run_until_complete(data["session"].close())
        if "loop" in data:
            data["loop"].run_until_complete(data["loop"].shutdown_default_executor())
            data["loop"].close()
        if "pool" in data:
            data["pool"].shutdown(wait=True, cancel_futures=True)
    finally:
        stop_server(data["server"])


def _batch(data, step=None) -> list[int]:
    """The requests, gathered with the step (first); each request's latency kept for counters()."""

    async def batch():
        session, url, start = data["session"], data["url"], time.perf_counter()
        latencies = data["latencies"] = []

        async def one(i):
            async with session.get(f"{url}/r/{i}?ms={DELAY_MS}") as answer:
                answer.raise_for_status()
                right = await answer.read() == body(i)
            latencies.append(time.perf_counter() - start)
            return right

        steps = [step(data["ms"])] if step else []
        done = await asyncio.wait_for(asyncio.gather(*steps, *(one(i) for i in range(REQUESTS))), BATCH_TIMEOUT_S)
        return done[len(steps) :]

    answers = data["loop"].run_until_complete(batch())
    return [sum(answers), len(answers)]


async def _sleep_in_loop(ms):
    time.sleep(ms / 1000)


async def _sleep_in_thread(ms):
    await asyncio.to_thread(time.sleep, ms / 1000)


async def _cpu_in_loop(ms):
    cpu_step(ms)


async def _cpu_in_thread(ms):
    await asyncio.to_thread(cpu_step, ms)


def nothing_else(data):
    return _batch(data)


def sleep_in_loop(data):
    return _batch(data, _sleep_in_loop)


def sleep_in_thread(data):
    return _batch(data, _sleep_in_thread)


def cpu_in_loop(data):
    return _batch(data, _cpu_in_loop)


def cpu_in_thread(data):
    return _batch(data, _cpu_in_thread)


def cpu_in_process(data):
    async def step(ms):
        await asyncio.get_running_loop().run_in_executor(data["pool"], cpu_step, ms)

    return _batch(data, step)


VARIANTS = {
    "async, nothing else": nothing_else,
    "sleep in the loop": sleep_in_loop,
    "sleep via to_thread": sleep_in_thread,
    "CPU in the loop": cpu_in_loop,
    "CPU via to_thread": cpu_in_thread,
    "CPU in a process pool": cpu_in_process,
}


def work(n):
    """One batch per call: results are the time of a batch."""
    return 1


def agree(outputs):
    """Every variant got every one of its requests' answers right."""
    answers = [[float(x) for x in answer] for answer in outputs.values()]
    return all(a == [REQUESTS, REQUESTS] for a in answers)


def counters(variant, data):
    """For one call: the median and the slowest request's latency, from the start of the batch."""
    VARIANTS[variant](data)
    latencies = data["latencies"]
    return {
        "median request ms": round(statistics.median(latencies) * 1e3, 1),
        "slowest request ms": round(max(latencies) * 1e3, 1),
    }


CLAIMS = {
    # The loop blocked for 20 ms sends nothing until it is free: every request waits the step, then
    # the server's wait. Ideally (20 + 25) / 25.
    "blocking-adds-the-step": {
        "faster": "async, nothing else",
        "slower": "sleep in the loop",
        "at": 20,
        "by_at_least": 1.3,
    },
    "cpu-in-the-loop-too": {"faster": "async, nothing else", "slower": "CPU in the loop", "at": 20, "by_at_least": 1.3},
    "blocked-batch-grows": {"variant": "sleep in the loop", "faster_at": 2, "slower_at": 20, "by_at_least": 1.25},
    # A sleeping thread holds no GIL: the step overlaps the server's wait.
    "to-thread-hides-a-sleep": {
        "faster": "async, nothing else",
        "slower": "sleep via to_thread",
        "at": 20,
        "by_at_most": 1.35,
    },
    # Another process, another GIL: the loop sends the requests while the worker computes.
    "pool-hides-cpu": {
        "faster": "async, nothing else",
        "slower": "CPU in a process pool",
        "at": 20,
        "by_at_most": 1.45,
    },
    # Nothing is claimed for CPU via to_thread: how much of the step the loop loses depends on how
    # often it gives up the GIL during the step (each socket call), and moves between runs.
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
