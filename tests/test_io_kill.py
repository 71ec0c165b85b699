"""An I/O snippet killed mid-run (SIGKILL: no teardown, no finally) leaves nothing behind: no server
or worker process it started, and no file in the temporary folder it was given. Everything it
starts carries a marker in its environment, so orphans are found wherever they were re-parented."""

import os
import signal
import subprocess
import sys
import time
import uuid
from subprocess import PIPE

import psutil
import pytest

from bench.contract import contract
from bench.discover import experiments

IO = [e for e in experiments() if e.id.startswith("io/")]
STARTED_S = 10  # a quick run has started what it starts by then, or has ended
GONE_S = 5  # how long what it started may take to notice and end


def marked(marker: str) -> list[psutil.Process]:
    """Live processes whose environment carries the marker."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get("BIM_KILL_TEST") == marker and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except psutil.Error:
            continue
    return found


def holds_a_file(run: subprocess.Popen, folder) -> bool:
    """Whether the run, or a process it started, has a file of the folder open (named, unlinked or
    made with O_TMPFILE: /proc names each "<folder>/... (deleted)"), or left one there."""
    for process in [psutil.Process(run.pid), *psutil.Process(run.pid).children(recursive=True)]:
        try:
            for fd in os.listdir(f"/proc/{process.pid}/fd"):
                if os.readlink(f"/proc/{process.pid}/fd/{fd}").startswith(str(folder)):
                    return True
        except OSError:
            continue
    return any(folder.iterdir())


def kill_mid_run(path, folder) -> tuple[list[str], list[str]]:
    """Run `python <path> --quick` with TMPDIR=folder, SIGKILL it as soon as it has started a process
    or holds a file of the folder, and return what is left a few seconds later: processes, files."""
    marker = uuid.uuid4().hex
    env = os.environ | {"TMPDIR": str(folder), "BIM_KILL_TEST": marker}
    run = subprocess.Popen([sys.executable, str(path), "--quick"], env=env, stdout=subprocess.DEVNULL, stderr=PIPE)
    try:
        started = time.monotonic()
        while run.poll() is None and time.monotonic() - started < STARTED_S:
            if len(marked(marker)) > 1 or holds_a_file(run, folder):
                break
            time.sleep(0.01)
        if run.poll() is None:
            run.send_signal(signal.SIGKILL)
            run.wait(timeout=GONE_S)
        else:  # a snippet that starts nothing and writes nothing (a cache in memory) simply ends
            assert run.returncode == 0, f"{path} failed: {run.stderr.read()[-2000:]}"
        deadline = time.monotonic() + GONE_S
        while (left := marked(marker)) and time.monotonic() < deadline:
            time.sleep(0.1)
        return [" ".join(p.cmdline()) for p in left], sorted(p.name for p in folder.iterdir())
    finally:
        run.kill()
        for process in marked(marker):
            process.kill()


@pytest.mark.parametrize("experiment", IO, ids=[e.id for e in IO])
def test_a_killed_run_leaves_no_process_and_no_file(experiment, tmp_path):
    if not (known := contract(experiment)).runs_here:
        pytest.skip(f"{experiment.id} runs on {', '.join(known.platforms)} only")
    processes, files = kill_mid_run(experiment.path, tmp_path)
    assert not processes, f"{experiment.id} left {processes} running"
    assert not files, f"{experiment.id} left {files} in its temporary folder"


LEAKS = {
    "a process": "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'])",
    "a file": "open(os.path.join(tempfile.gettempdir(), 'left.bin'), 'wb').close()",
}


@pytest.mark.parametrize("leak", LEAKS, ids=list(LEAKS))
def test_what_a_killed_run_leaves_is_found(leak, tmp_path):
    """The check can fail: a script that leaves a process or a file behind when killed is caught."""
    script = tmp_path / "leaky.py"
    script.write_text(f"import os, subprocess, sys, tempfile, time\n{LEAKS[leak]}\ntime.sleep(30)\n")
    folder = tmp_path / "tmp"
    folder.mkdir()
    processes, files = kill_mid_run(script, folder)
    if leak == "a process":
        assert any("time.sleep(30)" in p for p in processes), processes
    else:
        assert files == ["left.bin"], files
