"""The Dask snippets run their cluster variant wherever they are told: on the scheduler named by
--scheduler or by BIM_DASK_SCHEDULER, or on a cluster of their own that setup() starts and
teardown() stops, leaving no process behind, even when setup() fails half-way. A malformed
address stops them at once, with an error that names the option, instead of a wait."""

import contextlib
import logging
import os
import subprocess
import sys
import time

import psutil
import pytest
from distributed import LocalCluster

from bench.contract import live
from bench.discover import by_id

SNIPPETS = by_id(["parallelism/dask_reduction", "parallelism/dask_overhead"])
RUN_TIMEOUT_S = 60  # a quick run takes seconds; one that waits on a scheduler is stopped here
CLOSE_TIMEOUT_S = 30


@pytest.fixture(scope="module")
def scheduler():
    """A scheduler and one worker, threads of this process, listening on 127.0.0.1 only: what the
    snippets meet on a real cluster, minus the other machines."""
    cluster = LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        protocol="tcp://",  # a real socket, which another process can reach
        host="127.0.0.1",
        scheduler_port=0,
        dashboard_address=None,  # no dashboard; the scheduler's own HTTP routes on a free loopback port:
        scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
        silence_logs=logging.ERROR,
    )
    try:
        yield cluster
    finally:
        cluster.close(timeout=CLOSE_TIMEOUT_S)


def quick_run(experiment, *args, **env):
    """`python <snippet> --quick <args>` with `env` added to the environment, bounded in time."""
    command = [sys.executable, str(experiment.path), "--quick", *args]
    environment = {k: v for k, v in os.environ.items() if k != "BIM_DASK_SCHEDULER"} | env
    return subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, env=environment)


def ran_there(done, scheduler, before: int) -> None:
    """The run succeeded, said it used that scheduler, and the scheduler ran tasks meanwhile."""
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"dask cluster: the scheduler at {scheduler.scheduler_address}, 1 workers" in done.stderr, done.stderr
    assert "| workers | local cluster |" in done.stdout, done.stdout
    row = next(line for line in done.stdout.splitlines() if line.startswith("| dask cluster |"))
    assert row.endswith("| 1 | 0 |"), f"one worker, not a local cluster: {row}"
    assert scheduler.scheduler.transition_counter > before, "the scheduler saw no task"


@pytest.mark.parametrize("experiment", SNIPPETS, ids=[e.id for e in SNIPPETS])
def test_the_cluster_variant_runs_on_the_scheduler_given_with_the_option(scheduler, experiment):
    before = scheduler.scheduler.transition_counter
    done = quick_run(experiment, "--scheduler", scheduler.scheduler_address)
    ran_there(done, scheduler, before)


def test_the_environment_variable_names_the_scheduler_too(scheduler):
    """The harness passes no option but --quick: BIM_DASK_SCHEDULER is how `make bench` uses a cluster."""
    before = scheduler.scheduler.transition_counter
    done = quick_run(SNIPPETS[0], BIM_DASK_SCHEDULER=scheduler.scheduler_address)
    ran_there(done, scheduler, before)


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        (["--scheduler", "not-an-address"], {}, "argument --scheduler"),
        (["--scheduler", "tcp://127.0.0.1:port"], {}, "argument --scheduler"),
        (["--scheduler", "http://127.0.0.1:8786"], {}, "unknown protocol http://"),
        ([], {"BIM_DASK_SCHEDULER": "127.0.0.1"}, "BIM_DASK_SCHEDULER"),
    ],
    ids=["no-port", "port-not-a-number", "unknown-protocol", "environment"],
)
def test_a_malformed_address_fails_at_once_naming_the_option(args, env, named):
    started = time.monotonic()
    done = quick_run(SNIPPETS[0], *args, **env)
    assert done.returncode != 0
    assert named in done.stderr, done.stderr[-2000:]
    assert "Traceback" not in done.stderr, "a message, not a traceback"
    assert time.monotonic() - started < RUN_TIMEOUT_S / 2, "it waited instead of failing"


def test_setup_and_teardown_leave_no_process_behind(monkeypatch):
    """The local cluster's worker processes end with teardown(), and with a setup() that fails
    after starting them."""
    monkeypatch.delenv("BIM_DASK_SCHEDULER", raising=False)
    snippet = live(SNIPPETS[0], importable=True)
    snippet.quick()
    module, n = snippet.module, snippet.contract.quick_sizes[0]
    before = {child.pid for child in psutil.Process().children(recursive=True)}
    data = module.setup(n)
    assert started_since(before, wait_s=0), "setup() started no worker process"
    module.teardown(data)
    assert not started_since(before), "teardown() left worker processes running"

    def fail(*args):
        raise RuntimeError("setup fails after the cluster started")

    monkeypatch.setattr(module, "chunked", fail)
    with pytest.raises(RuntimeError, match="after the cluster started"):
        module.setup(n)
    assert not started_since(before), "a failed setup() left worker processes running"


# Processes multiprocessing keeps for the life of this process, whatever the snippet does.
HELPERS = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")


def started_since(before: set, wait_s: float = 5.0) -> list:
    """Descendants of this process started since `before` and still running (multiprocessing's
    own helpers aside), after waiting up to wait_s for those that are ending."""
    deadline = time.monotonic() + wait_s
    while True:
        alive = []
        for child in psutil.Process().children(recursive=True):
            with contextlib.suppress(psutil.Error):
                new = child.pid not in before and child.status() != psutil.STATUS_ZOMBIE
                if new and not any(helper in " ".join(child.cmdline()) for helper in HELPERS):
                    alive.append(child)
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.05)
