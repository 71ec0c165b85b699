"""Array of structures or structure of arrays: the total mass of n particles, in three layouts.

A particle has eight float64 fields (64 bytes, one cache line). Summing one field reads 8 bytes
per particle, but what crosses the memory bus depends on the layout:

- a list of Python tuples: per particle, a pointer, the tuple, and a separate float object;
- a NumPy structured array (array of structures): the field is 8 bytes in every 64-byte record,
  so every line of the array is fetched for one value in eight;
- one NumPy array per field (structure of arrays): the field is contiguous, every byte fetched
  is used.

Run it:  python layout_aos_soa.py            (full sizes, a few seconds)
         python layout_aos_soa.py --quick    (two small sizes, a second)
"""

import numpy as np

TITLE = "Total mass of n particles of eight float64 fields: tuples, structured array, one array per field"
UNIT = "record"
SIZE_UNIT = "bytes"  # n × 64 bytes: the records of the structured array, or the eight field arrays together
QUICK_SIZES = [2**15, 2**18]
# ×8 steps from 32 KiB (inside L1) to 1 GiB (RAM only).
SIZES = [8**k * 2**15 for k in range(6)]
# Past the caches the tuples cost the same per record at any size, and millions of them take
# seconds to build: they stop at 2**18 particles (16 MiB of records).
LIMITS = {"tuples": 2**24}
BUDGET_S = 10
FIELDS = ("x", "y", "z", "vx", "vy", "vz", "mass", "charge")
RECORD = np.dtype([(name, np.float64) for name in FIELDS])
MASS = FIELDS.index("mass")


def work(n):
    return n // RECORD.itemsize


def setup(n):
    """Field k of particle i holds i + k (integers, so every sum is exact), in all three layouts.

    The field arrays are written first and the records built by one transposing copy: assigning
    a structured array field by field would stride over the whole array eight times.
    """
    count = n // RECORD.itemsize
    index = np.arange(count, dtype=np.float64)
    fields = np.empty((len(FIELDS), count))  # row k: field k, contiguous
    for k, row in enumerate(fields):
        np.add(index, k, out=row)
    records = np.ascontiguousarray(fields.T).view(RECORD).reshape(count)
    # Tuples of floats, not class instances: the collector stops tracking them, so the harness's
    # gc.collect() before every sample does not walk a quarter of a million objects each time.
    tuples = list(map(tuple, fields.T.tolist())) if n <= LIMITS["tuples"] else None
    return {"tuples": tuples, "records": records, "fields": dict(zip(FIELDS, fields, strict=True))}


def total_mass_tuples(data):
    return sum(particle[MASS] for particle in data["tuples"])


def total_mass_records(data):
    """A strided view: one float64 every 64 bytes."""
    return np.add.reduce(data["records"]["mass"])


def total_mass_fields(data):
    return np.add.reduce(data["fields"]["mass"])


VARIANTS = {
    "tuples": total_mass_tuples,
    "structured array": total_mass_records,
    "one array per field": total_mass_fields,
}


def agree(results):
    """Every layout adds the same integers, so every total is exactly the same."""
    return len({float(np.asarray(r)) for r in results.values()}) == 1


CLAIMS = {
    # From DRAM, the structured array moves 64 bytes per record for the 8 it uses.
    "fields-beat-records-in-dram": {
        "faster": "one array per field",
        "slower": "structured array",
        "at": "L3*2",
        "by_at_least": 2.5,
    },
    # Tuples: an interpreter step, a pointer and two objects per record, even with every record in L2.
    "records-beat-tuples": {"faster": "structured array", "slower": "tuples", "at": 2**18, "by_at_least": 5},
    "fields-beat-tuples": {"faster": "one array per field", "slower": "tuples", "at": 2**18, "by_at_least": 30},
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
