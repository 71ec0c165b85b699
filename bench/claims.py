"""Claims: declared once in a snippet as data, rendered as a sentence, checked against results."""

from dataclasses import dataclass, replace

from bench.units import format_size

BOUNDS = ("by_at_least", "by_at_most")


class ClaimError(Exception):
    """A claim is malformed, or names a point the results do not have."""


@dataclass(frozen=True)
class Claim:
    faster: tuple[str, int]
    slower: tuple[str, int]
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
            if not isinstance(variant, str) or not isinstance(size, int):
                raise ClaimError(f"{where}: claim {key} must be (variant name, size), got {raw[key]!r}")
            points.append((variant, size))
        return cls(points[0], points[1], bounds[0], float(raw[bounds[0]]))

    def sentence(self, size_unit: str) -> str:
        (fv, fn), (sv, sn) = self.faster, self.slower
        faster = f"{fv} at {format_size(fn, size_unit)}" if self.at_size else fv
        slower = sv if sn == fn else f"{sv} at {format_size(sn, size_unit)}"
        if fv == sv and fn != sn:
            slower = f"at {format_size(sn, size_unit)}"
        if self.bound == "by_at_least":
            return f"{faster} is at least {self.factor:g}× faster than {slower}"
        return f"{faster} is at most {self.factor:g}× faster than {slower}"


@dataclass(frozen=True)
class Verdict:
    claim: Claim
    text: str
    ratio: float  # slower median / faster median
    holds: bool
    stable: bool  # still holds when each side takes the unfavourable quartile

    def describe(self) -> str:
        state = "holds" if self.holds else "FALSE"
        if self.holds and not self.stable:
            state = "holds on medians, but the spread is too wide to support it (unstable)"
        return f"{self.text}: measured {self.ratio:.2f}× — {state}"


def claims_of(module, where: str) -> list[Claim]:
    """The module's CLAIMS, parsed, each naming a declared variant and size."""
    claims = [replace(Claim.parse(raw, where), at_size=len(module.SIZES) > 1) for raw in module.CLAIMS]
    for claim in claims:
        for variant, size in (claim.faster, claim.slower):
            if variant not in module.VARIANTS or size not in module.SIZES:
                raise ClaimError(f"{where}: claim names ({variant!r}, {size}), not a variant at one of SIZES")
    return claims


def judge(claim: Claim, entry: dict, size_unit: str, where: str) -> Verdict:
    """Check one claim against one experiment's stored points."""
    points = {(p["variant"], p["size"]): p for p in entry["points"]}
    missing = [pt for pt in (claim.faster, claim.slower) if pt not in points]
    if missing:
        raise ClaimError(f"{where}: results have no point {missing[0]} for claim '{claim.sentence(size_unit)}'")
    fast, slow = points[claim.faster], points[claim.slower]
    ratio = slow["median_ns"] / fast["median_ns"]
    if claim.bound == "by_at_least":
        holds = ratio >= claim.factor
        stable = slow["p25_ns"] / fast["p75_ns"] >= claim.factor
    else:
        holds = ratio <= claim.factor
        stable = slow["p75_ns"] / fast["p25_ns"] <= claim.factor
    return Verdict(claim, claim.sentence(size_unit), ratio, holds, holds and stable)
