"""Every parallelism snippet runs unchanged under each start method a reader may meet: fork (the
default on Linux before 3.14, measured by the other tests), forkserver (3.14's default) and spawn
(macOS and Windows). A worker that cannot be pickled by name, or that reads a module-level name
only the parent changed, fails here."""

import subprocess
import sys
from subprocess import PIPE

import pytest

from bench.discover import experiments

PARALLEL = [e for e in experiments() if e.id.startswith("parallelism/")]
METHODS = ["forkserver", "spawn"]
# The snippet as a reader runs it (`python <file> --quick`), with the start method set first.
_RUN_WITH = """
import multiprocessing, os, runpy, sys
multiprocessing.set_start_method(sys.argv[1])
sys.argv = sys.argv[2:]
sys.path.insert(0, os.path.dirname(os.path.abspath(sys.argv[0])))  # as `python <file>` does: siblings import
runpy.run_path(sys.argv[0], run_name="__main__")
print("start method", multiprocessing.get_start_method())
"""


def run_under(methods: list[str], path, *args: str) -> dict[str, tuple[int, str, str]]:
    """(return code, stdout, stderr) of `python <path> <args>` under each method, the runs side by side."""
    runs = {
        m: subprocess.Popen([sys.executable, "-c", _RUN_WITH, m, str(path), *args], stdout=PIPE, stderr=PIPE, text=True)
        for m in methods
    }
    done = {}
    for method, run in runs.items():
        try:
            out, err = run.communicate(timeout=60)  # a quick run takes seconds
        finally:
            run.kill()
        done[method] = (run.returncode, out, err)
    return done


@pytest.mark.parametrize("experiment", PARALLEL, ids=[e.id for e in PARALLEL])
def test_runs_under_forkserver_and_spawn(experiment):
    for method, (code, out, err) in run_under(METHODS, experiment.path, "--quick").items():
        assert code == 0, f"{experiment.id} under {method}:\n{err[-3000:]}"
        assert out.rstrip().endswith(f"start method {method}"), out[-500:]
        assert "median of" in out, f"{experiment.id} under {method} printed no table:\n{out[-500:]}"


def test_a_worker_defined_only_under_the_main_guard_fails_under_spawn(tmp_path):
    """What this file catches: under fork the child inherits the function; under spawn it imports
    the script again, without the guarded block, and cannot find it."""
    script = tmp_path / "guarded.py"
    script.write_text(
        "import multiprocessing\n"
        "if __name__ == '__main__':\n"
        "    def double(x):\n"
        "        return 2 * x\n"
        "    child = multiprocessing.Process(target=double, args=(1,))\n"
        "    child.start()\n"
        "    child.join()\n"
        "    raise SystemExit(child.exitcode)\n"
    )
    done = run_under(["fork", "spawn"], script)
    assert done["fork"][0] == 0, done["fork"][2]
    assert done["spawn"][0] != 0 and "Can't get attribute 'double'" in done["spawn"][2], done["spawn"][2]
