"""Describe the machine that took a measurement, and tell machines apart by what they are."""

import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil

from bench import hardware
from bench.hardware import parse_size

CACHE_LEVELS = {("1", "Data"): "L1d", ("2", "Unified"): "L2", ("3", "Unified"): "L3"}
MACOS_CACHES = {"L1d": "hw.l1dcachesize", "L2": "hw.l2cachesize", "L3": "hw.l3cachesize"}


def machine_name() -> str:
    """BIM_MACHINE if set, else a slug of the CPU model and logical core count: intel-xeon-processor-2c.

    Two different machines can share it (one CPU string for several cloud instance types):
    distinct_name() settles that against the stored results."""
    if name := os.environ.get("BIM_MACHINE"):
        return name
    return slug(cpu_model(), os.cpu_count())


def slug(cpu: str, cores: int) -> str:
    """The CPU model, lower case, without trademarks, "CPU" and the clock, and the core count: short
    enough for the schema's 63 characters whatever the model string."""
    text = re.sub(r"\((r|tm|c)\)|\bcpu\b|@.*$", "", cpu.lower())
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:50].strip("-") or "machine"
    return f"{text}-{cores}c"


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
            found[key] = parse_size((index / "size").read_text().strip())
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


def identity(machine: dict) -> dict:
    """What makes two results files the same machine: CPU, cores, caches and memory (to the GiB,
    which absorbs the few KiB a kernel update reserves)."""
    return {
        "cpu": machine["cpu"],
        "logical_cores": machine["logical_cores"],
        "physical_cores": machine["physical_cores"],
        "caches": machine["caches"],
        "memory_gib": round(machine["memory_bytes"] / 2**30),
    }


def distinct_name(host: dict, stored: dict[str, list[dict]]) -> str:
    """The host's name, or the name with a suffix from its identity when a stored machine of that
    name (`stored`: name -> the machine records of its files) is a different machine."""
    mine = identity(host)
    if all(identity(other) == mine for other in stored.get(host["name"], [])):
        return host["name"]
    digest = hashlib.sha256(json.dumps(mine, sort_keys=True).encode()).hexdigest()[:6]
    return f"{host['name']}-{digest}"


def describe() -> dict:
    """The hardware and OS part of the provenance; text the results schema would refuse (a colon,
    say) becomes a space, so an unusual CPU string cannot cost a run its results."""
    return {
        "name": machine_name(),
        "cpu": _plain(cpu_model()),
        "logical_cores": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "caches": caches(),
        "memory_bytes": psutil.virtual_memory().total,
        "disk_bytes": shutil.disk_usage(tempfile.gettempdir()).total,
        "os": platform.system(),
        "kernel": _plain(platform.release()),
        "virtualized": virtualized(),
        "transparent_huge_pages": transparent_huge_pages(),
        "threads_per_core": hardware.threads_per_core(),
        "cache_details": hardware.cache_details(),
        "tlbs": hardware.tlbs(),
        "frequency_mhz": hardware.frequency_mhz(),
        "gpus": [_plain(name) for name in hardware.gpus()],
    }


def transparent_huge_pages() -> str | None:
    """Linux's THP mode (always, madvise or never): whether a large array may get 2 MiB pages,
    which decides how many TLB entries a walk over it needs. None where there is no such setting."""
    setting = Path("/sys/kernel/mm/transparent_hugepage/enabled")
    found = re.search(r"\[(\w+)\]", setting.read_text()) if setting.exists() else None
    return found.group(1) if found else None


def _plain(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9 .,;_+@()/#=-]+", " ", text).strip()[:200] or "unknown"


def _sysctl(name: str) -> str | None:
    try:
        return subprocess.run(["sysctl", "-n", name], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
