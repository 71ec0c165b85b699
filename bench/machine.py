"""Describe the machine and software that took a measurement: the provenance every result carries."""

import datetime
import os
import platform
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import numexpr
import numpy
import psutil

from bench.discover import ROOT

CACHE_LEVELS = {("1", "Data"): "L1d", ("2", "Unified"): "L2", ("3", "Unified"): "L3"}
MACOS_CACHES = {"L1d": "hw.l1dcachesize", "L2": "hw.l2cachesize", "L3": "hw.l3cachesize"}


def machine_name() -> str:
    """BIM_MACHINE if set, else a slug of the CPU model and logical core count: intel-xeon-processor-2c."""
    if name := os.environ.get("BIM_MACHINE"):
        return name
    slug = re.sub(r"\((r|tm|c)\)|\bcpu\b|@.*$", "", cpu_model().lower())
    slug = re.sub(r"[^a-z0-9]+", "-", slug).strip("-")
    return f"{slug}-{os.cpu_count()}c"


def cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith(("model name", "Model")):
                return line.split(":", 1)[1].strip()
    if sys.platform == "darwin":
        return _sysctl("machdep.cpu.brand_string") or platform.machine()
    return platform.processor() or platform.machine()


def caches() -> dict:
    """Per-core L1d and L2 and the shared L3, in bytes; None where the OS does not say."""
    found = {"L1d": None, "L2": None, "L3": None}
    for index in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        key = CACHE_LEVELS.get(((index / "level").read_text().strip(), (index / "type").read_text().strip()))
        if key:
            found[key] = _parse_size((index / "size").read_text().strip())
    if sys.platform == "darwin":
        for key, name in MACOS_CACHES.items():
            value = _sysctl(name)
            found[key] = int(value) if value and value.isdigit() and int(value) > 0 else None
    return found


def virtualized() -> bool | None:
    """True under a hypervisor (frequency, SMT and perf counters are then hidden); None if unknown."""
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists():
        return None
    return " hypervisor" in cpuinfo.read_text()


def describe() -> dict:
    """The hardware and OS part of the provenance."""
    return {
        "name": machine_name(),
        "cpu": cpu_model(),
        "logical_cores": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "caches": caches(),
        "memory_bytes": psutil.virtual_memory().total,
        "disk_bytes": shutil.disk_usage(tempfile.gettempdir()).total,
        "os": platform.system(),
        "kernel": platform.release(),
        "virtualized": virtualized(),
    }


def software() -> dict:
    """The software part of the provenance, recorded with each experiment's measurement."""
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


def _sysctl(name: str) -> str | None:
    try:
        return subprocess.run(["sysctl", "-n", name], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def _parse_size(text: str) -> int:
    units = {"K": 2**10, "M": 2**20, "G": 2**30}
    return int(text[:-1]) * units[text[-1]] if text[-1] in units else int(text)
