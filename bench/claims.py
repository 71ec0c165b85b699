"""Claims: declared once in a snippet as data, rendered as a sentence, checked on every machine.

A size in a claim is an int of SIZES, or a role ("L1d/2", "L3*4") that each machine resolves
from its own caches, so one claim can say "in L1" and mean the right size everywhere.
"""

from dataclasses import dataclass, replace

from bench import roles
from bench.units import format_size

BOUNDS = ("by_at_least", "by_at_most")


class ClaimError(Exception):
    """A claim is malformed, or names a point the results do not have."""


@dataclass(frozen=True)
class Claim:
    faster: tuple[str, int | str]
    slower: tuple[str, int | str]
    bound: str  # one of BOUNDS
    factor: float
    at_size: bool = True  # False when the experiment has a single size: the sentence omits it

    @classmethod
    def parse(cls, raw: dict, where: str) -> "Claim":
        bounds = [b for b in BOUNDS if b in raw]
        if set(raw) != {"faster", "slower", *bounds} or len(bounds) != 1:
            raise ClaimError(f"{where}: a claim has keys faster, slower and one of {BOUNDS}; got {sorted(raw)}")
        points = []
        for key in ("faster", "slower"):
            variant, size = raw[key]
            if not isinstance(variant, str) or not isinstance(size, int | str):
                raise ClaimError(f"{where}: claim {key} must be (variant name, size or role), got {raw[key]!r}")
            if roles.is_role(size):
                roles.check_role(size, where)
            points.append((variant, size))
        return cls(points[0], points[1], bounds[0], float(raw[bounds[0]]))

    @property
    def uses_roles(self) -> bool:
        return roles.is_role(self.faster[1]) or roles.is_role(self.slower[1])

    def sentence(self, size_unit: str) -> str:
        (fv, fn), (sv, sn) = self.faster, self.slower
        faster = f"{fv} at {roles.describe(fn, size_unit)}" if self.at_size else fv
        slower = sv if sn == fn else f"{sv} at {roles.describe(sn, size_unit)}"
        if fv == sv and fn != sn:
            slower = f"at {roles.describe(sn, size_unit)}"
        if self.bound == "by_at_least":
            return f"{faster} is at least {self.factor:g}× faster than {slower}"
        return f"{faster} is at most {self.factor:g}× faster than {slower}"


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


def claims_of(module, where: str) -> list[Claim]:
    """The module's CLAIMS, parsed, each naming a declared variant at one of SIZES or at a role."""
    claims = [replace(Claim.parse(raw, where), at_size=len(module.SIZES) > 1) for raw in module.CLAIMS]
    for claim in claims:
        for variant, size in (claim.faster, claim.slower):
            if variant not in module.VARIANTS:
                raise ClaimError(f"{where}: claim names variant {variant!r}; declared: {', '.join(module.VARIANTS)}")
            if roles.is_role(size) and roles.bytes_per_size(module) is None:
                raise ClaimError(f"{where}: claim uses role {size!r}, but its sizes are not working sets")
            if not roles.is_role(size) and size not in module.SIZES:
                raise ClaimError(f"{where}: claim names ({variant!r}, {size}), not a variant at one of SIZES")
    return claims


def judge(claim: Claim, entry: dict, module, machine, where: str) -> Verdict:
    """Check one claim against one machine's result for the experiment (machine: a suite.Machine)."""
    try:
        sizes = [
            roles.resolve(size, module.SIZES, machine.caches, roles.bytes_per_size(module), machine.label)
            for _, size in (claim.faster, claim.slower)
        ]
    except roles.RoleError as error:
        raise ClaimError(f"{where}: {error}") from None
    points = {(p["variant"], p["size"]): p for p in entry["points"]}
    wanted = [(claim.faster[0], sizes[0]), (claim.slower[0], sizes[1])]
    missing = [pt for pt in wanted if pt not in points]
    if missing:
        raise ClaimError(
            f"{where}: {machine.label} has no point {missing[0]} for claim '{claim.sentence(module.SIZE_UNIT)}'"
        )
    fast, slow = points[wanted[0]], points[wanted[1]]
    ratio = slow["median_ns"] / fast["median_ns"]
    if claim.bound == "by_at_least":
        holds = ratio >= claim.factor
        stable = slow["p25_ns"] / fast["p75_ns"] >= claim.factor
    else:
        holds = ratio <= claim.factor
        stable = slow["p75_ns"] / fast["p25_ns"] <= claim.factor
    text = claim.sentence(module.SIZE_UNIT)
    resolved = " vs ".join(format_size(n, module.SIZE_UNIT) for n in sizes) if claim.uses_roles else ""
    return Verdict(claim, text, machine.label, ratio, holds, holds and stable, (sizes[0], sizes[1]), resolved)
