"""Formatting of sizes and times for tables, charts and claims."""

BINARY = [("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)]


def format_size(n: int, size_unit: str) -> str:
    """10_000_000 elements -> '10,000,000 elements'; 1 processes -> '1 process'; 1_048_576 bytes -> '1 MiB'."""
    if size_unit == "bytes":
        for name, scale in BINARY:
            if n >= scale:
                return f"{n / scale:.3g} {name}"
        return f"{n} B"
    if n == 1:  # 1 thread, 1 process, 1 task per chunk: the first word in the singular
        head, space, rest = size_unit.partition(" ")
        size_unit = (head[:-2] if head.endswith("sses") else head.removesuffix("s")) + space + rest
    return f"{n:,} {size_unit}"


def format_ns(ns: float) -> str:
    """A time with three significant digits in the unit that keeps it readable."""
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def format_ratio(ratio: float) -> str:
    """Three significant digits, whole numbers from a thousand on: '1.78×', '206×', '1,001×'."""
    return f"{ratio:,.0f}×" if ratio >= 1000 else f"{ratio:.3g}×"
