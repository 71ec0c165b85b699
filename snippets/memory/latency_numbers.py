"""Latency numbers from Python: what one everyday operation costs, end to end.

The memory and storage latencies come from the latency and storage experiments; this one times
the operations a Python program adds on top: a function call, a system call, starting a thread,
starting a new Python process, and a round trip over loopback TCP. Each is timed as Python sees
it, interpreter overhead included, because that is what your program pays.

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
    """A loopback echo server on a thread, and a client connected to it, for the round trip."""
    listener = socket.create_server(("127.0.0.1", 0))
    server = threading.Thread(target=_echo, args=(listener,), daemon=True)
    server.start()
    client = socket.create_connection(listener.getsockname(), timeout=10)
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return {"client": client, "server": server, "listener": listener}


def teardown(data):
    """Closing the client ends the echo loop; the thread is joined with a bound."""
    data["client"].close()
    data["server"].join(timeout=10)
    data["listener"].close()


def _echo(listener):
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


VARIANTS = {
    "python function call": function_call,
    "system call": system_call,
    "thread start and join": thread_start,
    "loopback TCP round trip": tcp_round_trip,
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
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
