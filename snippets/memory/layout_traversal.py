"""Row by row or column by column: the same sum over a square matrix, in C and in Fortran order.

A C-ordered matrix stores each row contiguously, so a row is a run of whole cache lines while a
column takes one value from each of m lines, a row's length apart. A Fortran-ordered copy of the
same matrix stores columns contiguously instead. NumPy's own reductions (a.sum(axis=0)) reorder
their loops to follow memory, which hides the effect; so here a Python loop hands NumPy one row
(or one column) at a time, and the order of the traversal is fixed by the loop.

The loop's own cost (one view and one call per row) is spread over m values; it dominates only
the smallest matrices. A column's lines are a row apart, and a cache picks a line's set from its
address: the more powers of two a row's length holds, the fewer sets a column falls into. Matrix
sides avoid powers of two, yet a row's byte length still holds several; a third C-ordered copy
pads each row by one cache line, which spreads a column over every set and changes nothing else
(the same pages, the same lines per value): the difference between the two column walks is what
cache sets cost.

Run it:  python layout_traversal.py            (full sizes, a few seconds)
         python layout_traversal.py --quick    (two small sizes, a second)
"""

import math

import numpy as np

TITLE = "Summing an m × m float64 matrix row by row or column by column, in C or Fortran order"
UNIT = "element"
SIZE_UNIT = "bytes"  # one matrix: sizes are marked against the caches on the chart
LINE = 64  # bytes of padding per row in the padded copy
QUICK_SIZES = [2**18, 2**20]
# ×4 steps from 256 KiB (inside L2) to 256 MiB (past the L3 of many machines, not all).
SIZES = [4**k * 2**18 for k in range(6)]
# Past the L3 of nearly any machine, but a column-wise pass can take a second: for readers who opt in.
LARGE_SIZES = [2**30]
BUDGET_S = 15


def side(n):
    """The side of a square float64 matrix of about n bytes."""
    return math.isqrt(n // 8)


def work(n):
    return side(n) ** 2


def setup(n):
    """The same matrix, a[i, j] = i + 2j (exact sums), stored in C order and in Fortran order.

    Both are written in their own memory order: a transposing copy of 1 GiB takes seconds.
    """
    m = side(n)
    i, j = np.arange(m, dtype=np.float64), np.arange(m, dtype=np.float64)
    c = np.empty((m, m), order="C")
    np.add(i[:, None], 2 * j[None, :], out=c)
    f = np.empty((m, m), order="F")
    np.add(2 * j[:, None], i[None, :], out=f.T)  # f.T is C-contiguous, and f.T[j, i] = f[i, j]
    padded = np.empty((m, m + LINE // 8))[:, :m]  # each row one line longer than its values
    padded[...] = c
    return {"C": c, "F": f, "C padded": padded}


def sum_by_rows(matrix):
    total = 0.0
    for row in matrix:
        total += row.sum()
    return total


def sum_by_columns(matrix):
    total = 0.0
    for column in matrix.T:
        total += column.sum()
    return total


VARIANTS = {
    "rows, C order": lambda data: sum_by_rows(data["C"]),
    "columns, C order": lambda data: sum_by_columns(data["C"]),
    "columns, C order, rows padded": lambda data: sum_by_columns(data["C padded"]),
    "rows, F order": lambda data: sum_by_rows(data["F"]),
    "columns, F order": lambda data: sum_by_columns(data["F"]),
}


def agree(results):
    """Every traversal adds the same integers, so every total is exactly the same."""
    return len({float(np.asarray(r)) for r in results.values()}) == 1


CLAIMS = {
    # Small: the loop's own cost per row or column hides the layout.
    "small-matrix-hides-layout": {
        "faster": "rows, C order",
        "slower": "columns, C order",
        "at": 2**18,
        "by_at_most": 1.5,
    },
    # Large: a column of a C-ordered matrix uses one value per line it brings in.
    "columns-of-c-order": {"faster": "rows, C order", "slower": "columns, C order", "at": 2**28, "by_at_least": 2},
    # Fortran order reverses it: its columns are contiguous, its rows strided.
    "rows-of-f-order": {"faster": "columns, F order", "slower": "rows, F order", "at": 2**28, "by_at_least": 2},
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
