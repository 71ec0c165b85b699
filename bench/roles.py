"""Sizes by role: "L1d/2" (half of L1d), "L3*4" (four times L3), resolved per machine.

A claim or a page that names a size by its role means the same thing on every machine; the size
it resolves to comes from that machine's cache sizes and the experiment's declared SIZES.
"""

import re

from bench.units import format_size

ROLE = re.compile(r"(?P<level>L1d|L2|L3)(?P<op>[*/])(?P<factor>[1-9][0-9]*)")
WORDS = {"/4": "a quarter of", "/2": "half of", "*2": "twice", "*4": "four times", "*8": "eight times"}


class RoleError(Exception):
    """A role is malformed, or a machine's sizes or caches cannot resolve it."""


def is_role(size) -> bool:
    return isinstance(size, str)


def check_role(role: str, where: str) -> None:
    if not ROLE.fullmatch(role):
        raise RoleError(f'{where}: size {role!r} is neither an int of SIZES nor a role such as "L1d/2" or "L3*4"')


def describe(size, size_unit: str) -> str:
    """'half of L1d' for a role, '16 KiB' or '10,000 elements' for a size."""
    if not is_role(size):
        return format_size(size, size_unit)
    match = ROLE.fullmatch(size)
    op = match["op"] + match["factor"]
    return f"{WORDS[op]} {match['level']}" if op in WORDS else f"{match['level']} {match['op']} {match['factor']}"


def resolve(size, sizes: list[int], caches: dict, bytes_per_size: float | None, machine: str) -> int:
    """The measured size a role stands for on this machine: inside a cache (÷), the largest size
    whose working set fits that fraction of it; outside (×), the largest size, provided its working
    set is at least that multiple (the farthest the experiment goes past the cache)."""
    if not is_role(size):
        return size
    match = ROLE.fullmatch(size)
    cache = caches.get(match["level"])
    if cache is None or not bytes_per_size:
        raise RoleError(f"{machine} does not report its {match['level']} size, so {size!r} has no meaning there")
    factor = int(match["factor"])
    target = (cache / factor if match["op"] == "/" else cache * factor) / bytes_per_size
    inside = match["op"] == "/"
    fitting = [n for n in sizes if (n <= target if inside else n >= target)]
    if not fitting:
        bound = "at most" if inside else "at least"
        raise RoleError(
            f"no size in SIZES is {bound} {describe(size, '')} on {machine} "
            f"({format_size(round(target * bytes_per_size), 'bytes')}): add one to SIZES"
        )
    return max(fitting)
