"""The I/O chapter's local server leaves nothing behind: not when the snippet that started it is
killed with SIGKILL mid-run, and not when setup() fails after the server is up."""

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from bench.contract import live
from bench.discover import by_id

(REQUESTS,) = by_id(["io/async_io_requests"])
GONE_WITHIN_S = 5


def servers() -> list[psutil.Process]:
    """Processes running this snippet's server (its file, with --serve)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        if "--serve" in cmdline and any(arg.endswith(str(REQUESTS.path.name)) for arg in cmdline):
            found.append(process)
    return found


def wait_until_no_server(pids: set[int]) -> set[int]:
    """The pids among `pids` still running a server after GONE_WITHIN_S."""
    deadline = time.monotonic() + GONE_WITHIN_S
    while (left := {p.pid for p in servers()} & pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_sigkill_mid_run_leaves_no_server(tmp_path):
    before = {p.pid for p in servers()}
    command = [sys.executable, str(REQUESTS.path), "--quick"]
    run = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ | {"TMPDIR": str(tmp_path)}
    )
    try:
        deadline = time.monotonic() + 30
        line = b""
        while b"server on http://127.0.0.1:" not in line:  # the server is up and answering
            assert time.monotonic() < deadline and run.poll() is None, "the snippet never started its server"
            line = run.stderr.readline()
        started = {p.pid for p in servers()} - before
        assert started, "no server process found while the snippet said one was up"
        time.sleep(0.2)  # mid-run: requests under way
        run.send_signal(signal.SIGKILL)
        run.wait(10)
    finally:
        run.kill()
        run.wait()
        run.stderr.close()
    assert not wait_until_no_server(started), f"a server outlived its killed parent by {GONE_WITHIN_S} s"
    assert not list(tmp_path.iterdir()), "files left in the TMPDIR the snippet was given"


def test_teardown_after_a_failing_setup_leaves_no_server(monkeypatch):
    snippet = live(REQUESTS, importable=True)
    module = snippet.module
    before = {p.pid for p in servers()}

    def broken():
        raise RuntimeError("setup fails after the server is up")

    monkeypatch.setattr(module, "_session", broken)
    with pytest.raises(RuntimeError, match="after the server is up"):
        module.setup(1)
    left = wait_until_no_server({p.pid for p in servers()} - before)
    assert not left, "setup() failed and left its server running"


def test_a_server_whose_parent_is_gone_exits(tmp_path):
    """The server alone, told its parent is a process that has already exited: it stops by itself
    (the check behind the SIGKILL test, without the timing of a kill)."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    server = subprocess.Popen(
        [sys.executable, str(REQUESTS.path), "--serve", "--parent", str(gone.pid)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert server.wait(GONE_WITHIN_S) == 0
    finally:
        server.kill()
        server.wait()
        server.stdin.close()
        server.stdout.close()
