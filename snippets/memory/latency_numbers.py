"""Latency numbers from Python: what one everyday operation costs, end to end.

The memory and storage latencies come from the latency and storage experiments; this one times
the operations a Python program adds on top: a function call, a system call, starting a thread,
starting a new Python process, and a round trip over loopback TCP. Each is timed as Python sees
it, interpreter overhead included, because that is what your program pays.

A thread start or a round trip hands work to another thread. If the scheduler puts that thread on
an idle core, the operation also pays for waking the core, which on a virtual machine costs more
than the operation and varies from run to run. So the process is pinned to one core while it
measures, and waking another core is its own row: the same round trip to a server thread pinned
to a second core. Where the system cannot pin (macOS), nothing is pinned.

Run it:  python latency_numbers.py            (a few seconds)
         python latency_numbers.py --quick    (fewer repetitions)
"""

import os
import socket
import subprocess
import sys
import threading

TITLE = "One operation, timed from Python"
UNIT = "operation"
SIZE_UNIT = "operations"
SIZES = [1]
QUICK_SIZES = [1]
BUDGET_S = 15
PAYLOAD = b"x"


def setup(n):
    """Pin this thread to one core; start two loopback echo servers, on that core and on another."""
    usable = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_setaffinity") else []
    here, there = (usable[0], usable[-1]) if usable else (None, None)
    data = {"usable": usable, "servers": []}
    _pin(here)
    for name, core in (("client", here), ("other core", there)):
        listener = socket.create_server(("127.0.0.1", 0))
        server = threading.Thread(target=_echo, args=(listener, core), daemon=True)
        server.start()
        data[name] = socket.create_connection(listener.getsockname(), timeout=10)
        data[name].setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        data["servers"].append((server, listener))
    return data


def teardown(data):
    """Closing the clients ends the echo loops; the threads are joined with a bound; the pin is undone."""
    for name in ("client", "other core"):
        if name in data:
            data[name].close()
    for server, listener in data["servers"]:
        server.join(timeout=10)
        listener.close()
    if data["usable"]:
        os.sched_setaffinity(0, data["usable"])


def _pin(core):
    """Run the calling thread, and the threads it starts from now on, on one core (if the OS lets us)."""
    if core is not None:
        os.sched_setaffinity(0, {core})


def _echo(listener, core):
    _pin(core)
    connection, _ = listener.accept()
    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with connection:
        while chunk := connection.recv(64):
            connection.sendall(chunk)


def _nothing():
    return 1


def function_call(data):
    return _nothing()


def system_call(data):
    return os.getppid() > 0  # getppid is never cached by the C library: one real syscall


def thread_start(data):
    result = []
    thread = threading.Thread(target=result.append, args=(1,))
    thread.start()
    thread.join()
    return result[0]


def process_start(data):
    return subprocess.run([sys.executable, "-S", "-c", "pass"], check=True).returncode + 1


def tcp_round_trip(data):
    client = data["client"]
    client.sendall(PAYLOAD)
    return len(client.recv(64))


def tcp_round_trip_other_core(data):
    """The same round trip, served on another core: the server's core idles between requests."""
    client = data["other core"]
    client.sendall(PAYLOAD)
    return len(client.recv(64))


VARIANTS = {
    "python function call": function_call,
    "system call": system_call,
    "thread start and join": thread_start,
    "loopback TCP round trip": tcp_round_trip,
    "round trip to another core": tcp_round_trip_other_core,
    "new python process": process_start,
}


def agree(results):
    """Each operation returned what it should have: 1 (True for the syscall's sanity check)."""
    return all(result == 1 for result in results.values())


CLAIMS = {
    "thread-costs-calls": {
        "faster": "python function call",
        "slower": "thread start and join",
        "at": 1,
        "by_at_least": 50,
    },
    "process-costs-threads": {
        "faster": "thread start and join",
        "slower": "new python process",
        "at": 1,
        "by_at_least": 5,
    },
    "tcp-costs-syscalls": {"faster": "system call", "slower": "loopback TCP round trip", "at": 1, "by_at_least": 10},
    # Handing a request to a core that idles costs that core's wake-up on top.
    "waking-a-core-costs": {
        "faster": "loopback TCP round trip",
        "slower": "round trip to another core",
        "at": 1,
        "by_at_least": 1.5,
    },
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
