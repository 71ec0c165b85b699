"""The "This machine, every machine" table: what each results file records of its machine's cores,
caches, TLBs, memory, SIMD, clock and GPUs, a column per machine. Nothing in it is typed by hand;
a field a file does not have reads "not recorded", one its machine did not report "not reported"."""

import html

from bench import render
from bench.units import format_size

NOT_RECORDED = "not recorded (measured before this was; re-measure there)"
NOT_REPORTED = "not reported"
CACHE_NAMES = {("Data", 1): "L1d", ("Instruction", 1): "L1i"}


def hardware_table(machines: list[tuple[str, dict, dict]]) -> str:
    """machines: (label, machine record, newest experiment entry of its file, or {})."""
    rows = [
        ("CPU model", [m["cpu"] for _, m, _ in machines]),
        ("Logical cores", [str(m["logical_cores"]) for _, m, _ in machines]),
        ("Physical cores", [str(m["physical_cores"] or NOT_REPORTED) for _, m, _ in machines]),
        ("Threads per core", [_field(m, "threads_per_core", str) for _, m, _ in machines]),
        *_cache_rows([m for _, m, _ in machines]),
        *_tlb_rows([m for _, m, _ in machines]),
        ("Memory", [format_size(m["memory_bytes"], "bytes") for _, m, _ in machines]),
        ("NumPy's SIMD baseline", [_simd(e, "baseline") for _, _, e in machines]),
        ("NumPy's SIMD targets dispatched to", [_simd(e, "dispatched") for _, _, e in machines]),
        ("Clock", [_field(m, "frequency_mhz", _clock) + _virtual(m) for _, m, _ in machines]),
        ("GPUs", [_field(m, "gpus", lambda g: ", ".join(g) or "none found") for _, m, _ in machines]),
        ("Virtual machine", [{True: "yes", False: "no"}.get(m["virtualized"], "unknown") for _, m, _ in machines]),
        ("Recorded", [e["software"]["date"][:10] if e else NOT_RECORDED for _, _, e in machines]),
    ]
    head = "| | " + " | ".join(html.escape(label) for label, _, _ in machines) + " |"
    lines = [head, "|---" * (len(machines) + 1) + "|"]
    lines += [f"| {name} | " + " | ".join(render.plain(cell) for cell in cells) + " |" for name, cells in rows]
    return "\n".join(lines)


def _field(m: dict, key: str, show) -> str:
    if key not in m:
        return NOT_RECORDED
    return NOT_REPORTED if m[key] is None else show(m[key])


def _cache_rows(machines: list[dict]) -> list[tuple[str, list[str]]]:
    """A row per cache level any machine reports: size, ways, line, sets and sharing. A file from
    before cache_details has only the sizes of L1d, L2 and L3."""
    names = {"L1d": None, "L2": None, "L3": None}
    for m in machines:
        for c in m.get("cache_details", []):
            names.setdefault(_cache_name(c), None)
    rows = []
    for name in sorted(names):
        cells = []
        for m in machines:
            found = [c for c in m.get("cache_details", []) if _cache_name(c) == name]
            if found:
                cells.append(_cache(found[0]))
            elif "cache_details" not in m and m["caches"].get(name):
                cells.append(format_size(m["caches"][name], "bytes") + "; geometry " + NOT_RECORDED)
            else:
                cells.append(NOT_RECORDED if "cache_details" not in m else NOT_REPORTED)
        rows.append((name, cells))
    return rows


def _cache_name(c: dict) -> str:
    return CACHE_NAMES.get((c["type"], c["level"]), f"L{c['level']}")


def _cache(c: dict) -> str:
    parts = [format_size(c["size_bytes"], "bytes") if c["size_bytes"] else "size " + NOT_REPORTED]
    parts += [f"{c['ways']}-way"] * bool(c["ways"]) + [f"{c['line_bytes']} B lines"] * bool(c["line_bytes"])
    parts += [f"{c['sets']:,} sets"] * bool(c["sets"])
    if c["shared_by"]:
        parts.append("one per logical core" if c["shared_by"] == 1 else f"shared by {c['shared_by']} logical cores")
    return ", ".join(parts)


def _tlb_rows(machines: list[dict]) -> list[tuple[str, list[str]]]:
    """A row per TLB (level, kind, page size) any machine reports, with its entries and source."""
    keys = {}
    for m in machines:
        for t in m.get("tlbs", []):
            keys.setdefault(_tlb_name(t), None)
    if not keys:
        return [("TLBs", [NOT_RECORDED if "tlbs" not in m else NOT_REPORTED for m in machines])]
    rows = []
    for key in keys:
        cells = []
        for m in machines:
            found = [t for t in m.get("tlbs", []) if _tlb_name(t) == key]
            cells.append(
                f"{found[0]['entries']:,} entries ({found[0]['source']})"
                if found
                else NOT_RECORDED
                if "tlbs" not in m
                else NOT_REPORTED
            )
        rows.append((key, cells))
    return rows


def _tlb_name(t: dict) -> str:
    level = f"L{t['level']} " if t["level"] else ""
    return f"{level}{t['kind']} TLB, {t['pages']} pages"


def _simd(entry: dict, which: str) -> str:
    if not entry:
        return NOT_RECORDED
    simd = entry["software"]["simd"]
    if which == "baseline":
        return ", ".join(simd["baseline"]) or "none"
    found = [name for name in simd["dispatch"] if name in simd["available"]]
    return ", ".join(found) or "none: only the baseline"


def _clock(f: dict) -> str:
    if not f["current"]:
        return NOT_REPORTED
    text = f"{f['current']:,} MHz"
    return text + (f" (from {f['min']:,} to {f['max']:,} MHz)" if f["min"] and f["max"] else "")


def _virtual(m: dict) -> str:
    """A guest's clock is the one its hypervisor advertises."""
    return ", as the hypervisor advertises it" if m["virtualized"] and m.get("frequency_mhz", {}).get("current") else ""
