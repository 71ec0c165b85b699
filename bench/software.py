"""The software part of a result's provenance, read inside the interpreter that measures.

`make bench PYTHON=...` measures with another interpreter than the harness's, so this module is
imported by the measuring worker and needs only the standard library, numpy and numexpr.
"""

import datetime
import platform
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def software() -> dict:
    """Date, commit, interpreter build and library versions of one measurement."""
    import numexpr
    import numpy

    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": git_commit(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "free_threaded": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        "gil_enabled": getattr(sys, "_is_gil_enabled", lambda: True)(),
        "numpy": numpy.__version__,
        "numexpr": numexpr.__version__,
        "simd": simd_features(),
    }


def build_of(software: dict) -> str:
    """The interpreter build a result belongs to: cpython-3.11, cpython-3.14t (free-threaded)."""
    major_minor = ".".join(software["python"].split(".")[:2])
    return f"{software['implementation'].lower()}-{major_minor}{'t' if software['free_threaded'] else ''}"


def simd_features() -> dict:
    """What numpy was built for (baseline), may dispatch to, and found on this CPU."""
    from numpy._core._multiarray_umath import __cpu_baseline__, __cpu_dispatch__, __cpu_features__

    return {
        "baseline": list(__cpu_baseline__),
        "dispatch": list(__cpu_dispatch__),
        "available": [name for name, present in __cpu_features__.items() if present],
    }


def git_commit() -> str:
    """Short HEAD, with -dirty when snippets/ or bench/ have uncommitted edits; 'unknown' outside git."""
    try:
        head = _git("rev-parse", "--short=12", "HEAD")
        dirty = _git("status", "--porcelain", "--", "snippets", "bench")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("-dirty" if dirty else "")


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()


if __name__ == "__main__":  # `python -m bench.software`: the build of the interpreter running it
    print(build_of(software()))
