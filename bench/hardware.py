"""What the OS and cpuid report about the cores, caches, TLBs, clock and GPUs: the facts the
"This machine, every machine" page shows. Each reader returns None (or an empty list) where the
machine does not say, so a page prints "not reported" instead of a guess."""

import re
import shutil
import subprocess
from pathlib import Path

import psutil

SYSFS_CPU = Path("/sys/devices/system/cpu/cpu0")
CPUID_TIMEOUT_S = 10
PAGE_SIZES = {"4K": "4 KiB", "2M": "2 MiB", "4M": "4 MiB", "1G": "1 GiB"}  # cpuid writes 4K or 4KB


def threads_per_core() -> int | None:
    """Hardware threads sharing cpu0's core (SMT siblings), as the kernel's topology lists them."""
    siblings = SYSFS_CPU / "topology" / "thread_siblings_list"
    if not siblings.exists():
        return None
    return len(_cpu_list(siblings.read_text().strip()))


def cache_details() -> list[dict]:
    """Every cache level cpu0 sees: size, ways, line size, sets and how many logical CPUs share it."""
    found = []
    for index in sorted((SYSFS_CPU / "cache").glob("index*")):
        read = {f.name: f.read_text().strip() for f in index.iterdir() if f.is_file() and f.name != "uevent"}
        found.append(
            {
                "level": int(read["level"]),
                "type": read["type"],
                "size_bytes": parse_size(read["size"]) if "size" in read else None,
                "ways": _int(read.get("ways_of_associativity")),
                "line_bytes": _int(read.get("coherency_line_size")),
                "sets": _int(read.get("number_of_sets")),
                "shared_by": len(_cpu_list(read["shared_cpu_list"])) if "shared_cpu_list" in read else None,
            }
        )
    return found


def tlbs() -> list[dict]:
    """TLB entries per level, kind and page size, from `cpuid` (Debian's package of that name)
    where it is installed, else the one total /proc/cpuinfo gives on AMD CPUs."""
    cpuid = shutil.which("cpuid")
    if cpuid:
        try:
            text = subprocess.run([cpuid, "-1"], capture_output=True, text=True, timeout=CPUID_TIMEOUT_S).stdout
        except (OSError, subprocess.TimeoutExpired):
            text = ""
        if found := parse_cpuid_tlbs(text):
            return found
    cpuinfo = Path("/proc/cpuinfo")
    match = re.search(r"^TLB size\s*:\s*(\d+) (\w+) pages", cpuinfo.read_text(), re.M) if cpuinfo.exists() else None
    if match:
        pages = _pages(match[2])
        return [{"level": None, "kind": "total", "pages": pages, "entries": int(match[1]), "source": "/proc/cpuinfo"}]
    return []


def parse_cpuid_tlbs(text: str) -> list[dict]:
    """TLBs from `cpuid -1`'s text: AMD's leaves 0x80000005/6/19 (one block per level and page size,
    with data and instruction entries) and Intel's leaf 0x18 (one block per TLB: ways x sets)."""
    found = []
    for header, fields in _blocks(text):
        amd = re.match(r"L([12]) TLB(?:/cache)? information: ([\w/]+) pages", header)
        if amd:
            pages = ", ".join(_pages(p) for p in amd[2].split("/"))
            for kind in ("data", "instruction"):
                entries = _number(fields.get(f"{kind} # entries"))
                if entries:
                    found.append(_tlb(int(amd[1]), kind, pages, entries))
        elif header.lower().startswith("deterministic address translation parameters"):
            found += _intel_tlb(fields)
    return found


def _intel_tlb(fields: dict) -> list[dict]:
    """One TLB of leaf 0x18: its entries are ways x sets; a sub-leaf of type "invalid" is none."""
    kind = re.match(r"(data|instruction|unified|load only|store only)", fields.get("translation cache type", ""))
    ways, sets = _number(fields.get("ways of associativity")), _number(fields.get("number of sets"))
    pages = [_pages(k.split()[0]) for k, v in fields.items() if "page size" in k and v == "true"]
    if not (kind and ways and sets and pages):
        return []
    return [_tlb(_number(fields.get("translation cache level")), kind[1], ", ".join(pages), ways * sets)]


def _pages(name: str) -> str:
    return PAGE_SIZES.get(name.removesuffix("B"), name)


def frequency_mhz() -> dict:
    """The clock as the kernel reports it: current, and the range where cpufreq exposes one. Under
    a hypervisor "current" is what the host advertises, not the clock the core is running at."""
    try:
        freq = psutil.cpu_freq()
    except (OSError, NotImplementedError):
        freq = None
    if not freq or not freq.current:
        return {"current": None, "min": None, "max": None}
    return {"current": round(freq.current), "min": round(freq.min) or None, "max": round(freq.max) or None}


def gpus() -> list[str]:
    """The names of the NVIDIA GPUs nvidia-smi sees; none where it is absent or finds none."""
    smi = shutil.which("nvidia-smi")
    if not smi:
        return []
    try:
        done = subprocess.run(
            [smi, "--query-gpu=name", "--format=csv,noheader"], capture_output=True, text=True, timeout=CPUID_TIMEOUT_S
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line.strip() for line in done.stdout.splitlines() if line.strip()] if done.returncode == 0 else []


def _tlb(level, kind: str, pages: str, entries: int) -> dict:
    return {"level": level, "kind": kind, "pages": pages, "entries": entries, "source": "cpuid"}


def _blocks(text: str):
    """(header, {key: value}) for each indented block of cpuid's output."""
    header, fields = None, {}
    for line in text.splitlines():
        indent = len(line) - len(line.lstrip())
        if indent <= 3 and line.rstrip().endswith(":"):
            if header:
                yield header, fields
            header, fields = line.strip().rstrip(":"), {}
        elif header and "=" in line:
            key, value = line.split("=", 1)
            fields[key.strip()] = value.strip()
    if header:
        yield header, fields


def _number(value: str | None) -> int | None:
    """cpuid prints numbers as '0x60 (96)' or '96'."""
    match = re.search(r"\((\d+)\)\s*$", value or "") or re.fullmatch(r"(\d+)", value or "")
    return int(match[1]) if match else None


def _cpu_list(text: str) -> list[int]:
    """'0-3,8' -> [0, 1, 2, 3, 8]"""
    cpus = []
    for part in filter(None, text.split(",")):
        low, _, high = part.partition("-")
        cpus += range(int(low), int(high or low) + 1)
    return cpus


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def parse_size(text: str) -> int:
    """sysfs's '48K', '1024K', '32M' in bytes."""
    units = {"K": 2**10, "M": 2**20, "G": 2**30}
    return int(text[:-1]) * units[text[-1]] if text[-1] in units else int(text)
