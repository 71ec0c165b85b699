"""Amdahl's law, and the serial fraction it implies from measured speedups."""


def speedup(serial: float, workers: int, cores: int) -> float:
    """Amdahl's bound on k workers: 1 / (s + (1 - s) / k), with k counted up to the cores only
    (workers past them take turns)."""
    return 1.0 / (serial + (1.0 - serial) / min(workers, cores))


def fitted_serial_fraction(speedups: dict[int, float], cores: int) -> float | None:
    """The s that fits the measured speedups best (least squares on 1/S = s + (1 - s) / k, over
    2 to `cores` workers): None when fewer than two workers fit on the cores."""
    used = [(k, s) for k, s in speedups.items() if 2 <= k <= cores]
    if not used:
        return None
    # 1/S - 1/k = s (1 - 1/k): a line through the origin in (1 - 1/k), whose slope is s.
    num = sum((1 / s - 1 / k) * (1 - 1 / k) for k, s in used)
    den = sum((1 - 1 / k) ** 2 for k, _ in used)
    return num / den
