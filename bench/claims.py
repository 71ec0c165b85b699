"""Claims: declared once in a snippet as data, under a stable name, and checked on every machine.

Every claim is one of two kinds, each written once:

    "numpy-beats-the-loop": {"faster": "numpy", "slower": "python loop", "at": "L2/2", "by_at_least": 20}
    "dram-costs-numpy": {"variant": "numpy", "faster_at": "L2/2", "slower_at": "L3*2", "by_at_least": 2}

two variants at one size, or one variant at two sizes. A size is an int of SIZES, or a role
("L1d/2", "L3*2") that each machine resolves from its own caches. A page names a claim by its key.
"""

import re
from dataclasses import dataclass

from bench import roles
from bench.results import point
from bench.units import format_size

BOUNDS = ("by_at_least", "by_at_most")
KINDS = {"variants": {"faster", "slower", "at"}, "sizes": {"variant", "faster_at", "slower_at"}}
NAME = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


class ClaimError(Exception):
    """A claim is malformed, or names a point the results do not have."""


@dataclass(frozen=True)
class Claim:
    name: str
    raw: dict  # as declared, so that it can travel as JSON
    faster: tuple[str, int | str]
    slower: tuple[str, int | str]
    bound: str  # one of BOUNDS
    factor: float
    at_size: bool  # False when the experiment has a single size: the sentence omits it

    @property
    def uses_roles(self) -> bool:
        return roles.is_role(self.faster[1]) or roles.is_role(self.slower[1])

    def sentence(self, size_unit: str) -> str:
        (fv, fn), (sv, sn) = self.faster, self.slower
        size = roles.describe
        if fv == sv:
            text = f"{fv} at {size(fn, size_unit)} is at {{}} {self.factor:g}× faster than at {size(sn, size_unit)}"
        else:
            where = f" at {size(fn, size_unit)}" if self.at_size else ""
            text = f"{fv} is at {{}} {self.factor:g}× faster than {sv}{where}"
        return text.format("least" if self.bound == "by_at_least" else "most")


def parse_claims(declared, contract, where: str) -> dict[str, Claim]:
    """CLAIMS as {name: Claim}, each naming declared variants at sizes of SIZES or at roles."""
    if not isinstance(declared, dict):
        raise ClaimError(f'{where}: CLAIMS maps claim names to claims: {{"numpy-beats-the-loop": {{...}}}}')
    return {name: _parse(name, raw, contract, where) for name, raw in declared.items()}


def _parse(name, raw, contract, where: str) -> Claim:
    if not (isinstance(name, str) and NAME.fullmatch(name)):
        raise ClaimError(f"{where}: claim name {name!r}: use lowercase words joined by hyphens")
    bounds = [b for b in BOUNDS if isinstance(raw, dict) and b in raw]
    kinds = [k for k, keys in KINDS.items() if isinstance(raw, dict) and set(raw) == keys | set(bounds)]
    if len(bounds) != 1 or len(kinds) != 1:
        raise ClaimError(
            f"{where}: claim {name!r} has keys {sorted(raw) if isinstance(raw, dict) else raw!r}; a claim is "
            '{"faster", "slower", "at"} or {"variant", "faster_at", "slower_at"}, plus by_at_least or by_at_most'
        )
    if kinds[0] == "variants":
        faster, slower = (raw["faster"], raw["at"]), (raw["slower"], raw["at"])
    else:
        faster, slower = (raw["variant"], raw["faster_at"]), (raw["variant"], raw["slower_at"])
    factor = raw[bounds[0]]
    if not (isinstance(factor, int | float) and factor > 0):
        raise ClaimError(f"{where}: claim {name!r}: {bounds[0]} must be a positive number")
    for variant, size in (faster, slower):
        if variant not in contract.variants:
            raise ClaimError(
                f"{where}: claim {name!r} names variant {variant!r}; declared: {', '.join(contract.variants)}"
            )
        if roles.is_role(size):
            roles.check_role(size, where)
            if contract.bytes_per_size is None:
                raise ClaimError(f"{where}: claim {name!r} uses role {size!r}, but its sizes are not working sets")
        elif size not in contract.sizes:
            raise ClaimError(f"{where}: claim {name!r} names size {size!r}, not one of SIZES")
    return Claim(name, raw, faster, slower, bounds[0], float(factor), len(contract.sizes) > 1)


@dataclass(frozen=True)
class Verdict:
    claim: Claim
    text: str
    machine: str  # the label of the results file judged
    ratio: float  # slower median / faster median
    holds: bool
    stable: bool  # still holds when each side takes the unfavourable quartile
    sizes: tuple[int, int]  # the faster and slower sizes, roles resolved on this machine
    resolved: str = ""  # "16 KiB vs 1 GiB" where the claim names sizes by role, else empty

    def describe(self) -> str:
        state = "holds" if self.holds else "FALSE"
        if self.holds and not self.stable:
            state = "holds on medians, but the spread is too wide to support it (unstable)"
        where = f" ({self.resolved})" if self.resolved else ""
        return f"{self.ratio:.2f}× on {self.machine}{where} — {state}"


def judge(claim: Claim, entry: dict, contract, machine) -> Verdict:
    """Check one claim against one machine's result for the experiment (machine: a suite.Machine)."""
    try:
        sizes = [
            roles.resolve(size, contract.sizes, machine.caches, contract.bytes_per_size, machine.label)
            for _, size in (claim.faster, claim.slower)
        ]
    except roles.RoleError as error:
        raise ClaimError(f"{contract.id}: {error}") from None
    wanted = [(claim.faster[0], sizes[0]), (claim.slower[0], sizes[1])]
    fast, slow = (point(entry, variant, n) for variant, n in wanted)
    if fast is None or slow is None:
        missing = wanted[0] if fast is None else wanted[1]
        raise ClaimError(f"{contract.id}: {machine.label} has no point {missing} for claim {claim.name!r}")
    ratio = slow["median_ns"] / fast["median_ns"]
    if claim.bound == "by_at_least":
        holds = ratio >= claim.factor
        stable = slow["p25_ns"] / fast["p75_ns"] >= claim.factor
    else:
        holds = ratio <= claim.factor
        stable = slow["p75_ns"] / fast["p25_ns"] <= claim.factor
    text = claim.sentence(contract.size_unit)
    resolved = " vs ".join(format_size(n, contract.size_unit) for n in sizes) if claim.uses_roles else ""
    return Verdict(claim, text, machine.label, ratio, holds, holds and stable, (sizes[0], sizes[1]), resolved)
