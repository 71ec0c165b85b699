"""Amdahl's law and the serial fraction fitted from speedups, checked on exact and measured data."""

import pytest

from bench.amdahl import fitted_serial_fraction, speedup
from bench.charts import speedups
from bench.discover import ContractError, by_id, literal
from bench.suite import Suite


def test_the_formula_bounds_the_speedup_by_one_over_the_serial_fraction():
    assert speedup(0.0, 2, 2) == 2.0
    assert speedup(0.5, 2, 2) == pytest.approx(4 / 3)
    assert speedup(0.1, 10**6, 10**6) < 10
    assert speedup(0.0, 8, 2) == 2.0, "workers past the cores add nothing"


def test_the_fit_recovers_the_fraction_that_made_the_speedups():
    for serial in (0.0, 0.1, 0.5):
        exact = {k: speedup(serial, k, 16) for k in (1, 2, 4, 8, 16)}
        assert fitted_serial_fraction(exact, 16) == pytest.approx(serial)
    noisy = {1: 1.0, 2: 1.30, 3: 1.55}  # s = 0.5 would give 1.33 and 1.5
    assert fitted_serial_fraction(noisy, 3) == pytest.approx(0.5, abs=0.05)


def test_the_fit_ignores_workers_past_the_cores_and_needs_two_workers():
    flat_past_two = {1: 1.0, 2: 2.0, 4: 2.0, 8: 2.0}
    assert fitted_serial_fraction(flat_past_two, 2) == pytest.approx(0.0)
    assert fitted_serial_fraction({1: 1.0}, 4) is None
    assert fitted_serial_fraction({1: 1.0, 2: 1.9}, 1) is None


def test_each_reference_machine_fits_the_designed_fractions_closely():
    """The Amdahl page says so: on every reference machine with a fresh result, the fraction fitted
    from stored speedups is the designed one within 0.15 (the pool's messages, a shared host's noise)."""
    suite, (experiment,) = Suite.load(), by_id(["parallelism/amdahl"])
    designed = literal(experiment, "SERIAL_FRACTIONS")
    fresh = [(m, e) for m, e in suite.fresh(experiment) if m.reference]
    assert fresh, "parallelism/amdahl is fresh on no reference machine: run make bench ONLY=parallelism/amdahl"
    for machine, entry in fresh:
        for variant, serial in designed.items():
            shown = {n: s for n, s, _, _ in speedups(entry, variant)}
            fitted = fitted_serial_fraction(shown, machine.data["machine"]["logical_cores"])
            assert fitted == pytest.approx(serial, abs=0.15), f"{variant} on {machine.label}: fitted {fitted:.2f}"


def test_a_literal_that_is_not_there_is_named():
    (experiment,) = by_id(["parallelism/amdahl"])
    assert literal(experiment, "SIZES") == [1, 2, 3, 4, 6, 8]
    with pytest.raises(ContractError, match=r"amdahl\.py defines no literal 'SERIAL_FRACTION'"):
        literal(experiment, "SERIAL_FRACTION")
