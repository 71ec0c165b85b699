"""The machine page: what the harness reads of a machine's hardware, and how a column is shown
for a file that has it, one written before it was recorded, and a machine that does not say."""

from pathlib import Path

import pytest

from bench import hardware, machine, results
from bench.machine_page import NOT_RECORDED, NOT_REPORTED, hardware_table
from bench.site import Site

AMD_CPUID = """\
   L1 TLB/cache information: 4K pages & L1 TLB (0x80000005/ebx):
      instruction # entries     = 0x40 (64)
      instruction associativity = 0xff (255)
      data # entries            = 0x60 (96)
      data associativity        = 0xff (255)
   L1 data cache information (0x80000005/ecx):
      line size (bytes) = 0x40 (64)
   L2 TLB/cache information: 2M/4M pages & L2 TLB (0x80000006/eax):
      instruction # entries     = 0x0 (0)
      data # entries            = 0x80 (128)
"""

INTEL_CPUID = """\
   Deterministic Address Translation Parameters (0x18/0):
      4KB page size entries supported = false
      ways of associativity           = 0x0 (0)
      number of sets = 0x00000000 (0)
      translation cache type            = invalid (0)
      translation cache level           = 0x1 (1)
   Deterministic Address Translation Parameters (0x18/1):
      4KB page size entries supported = true
      2MB page size entries supported = true
      1GB page size entries supported = false
      ways of associativity           = 0x4 (4)
      number of sets = 0x00000010 (16)
      translation cache type            = data TLB (1)
      translation cache level           = 0x1 (1)
"""


def test_cpuid_tlbs_of_amd_leaves():
    assert hardware.parse_cpuid_tlbs(AMD_CPUID) == [
        {"level": 1, "kind": "data", "pages": "4 KiB", "entries": 96, "source": "cpuid"},
        {"level": 1, "kind": "instruction", "pages": "4 KiB", "entries": 64, "source": "cpuid"},
        {"level": 2, "kind": "data", "pages": "2 MiB, 4 MiB", "entries": 128, "source": "cpuid"},
    ]


def test_cpuid_tlbs_of_intel_leaf_0x18_skip_invalid_sub_leaves():
    assert hardware.parse_cpuid_tlbs(INTEL_CPUID) == [
        {"level": 1, "kind": "data", "pages": "4 KiB, 2 MiB", "entries": 64, "source": "cpuid"},
    ]


def test_cpuid_without_tlbs_gives_none():
    assert hardware.parse_cpuid_tlbs('   brand = "AMD EPYC"\n') == []


@pytest.mark.parametrize(("text", "cpus"), [("0", [0]), ("0-3,8", [0, 1, 2, 3, 8]), ("0,2", [0, 2])])
def test_cpu_lists(text, cpus):
    assert hardware._cpu_list(text) == cpus


def test_this_machine_is_described_within_the_schema(reference):
    """Whatever this machine reports (or hides), the record validates."""
    reference["machine"] = machine.describe()
    name = f"{reference['machine']['name']}.{reference['build']}.json"
    results.validate(reference, Path(name))


def column(record: dict, label: str = "m") -> dict:
    table = hardware_table([(label, record, {})])
    rows = [[cell.strip() for cell in line.strip("|").split(" | ")] for line in table.splitlines()[2:]]
    return {name: value for name, value in rows}


def test_a_file_from_before_the_fields_reads_not_recorded(reference):
    new_fields = {"threads_per_core", "cache_details", "tlbs", "frequency_mhz", "gpus"}
    old = {k: v for k, v in reference["machine"].items() if k not in new_fields}
    cells = column(old)
    assert cells["Threads per core"] == NOT_RECORDED
    assert cells["TLBs"] == NOT_RECORDED
    assert cells["L2"].endswith(NOT_RECORDED)  # its size is known, its geometry is not


def test_a_machine_that_hides_things_reads_not_reported(reference):
    hidden = reference["machine"] | {
        "threads_per_core": None,
        "cache_details": [],
        "tlbs": [],
        "frequency_mhz": {"current": None, "min": None, "max": None},
        "gpus": ["NVIDIA <H200>"],
    }
    cells = column(hidden)
    assert cells["Threads per core"] == cells["TLBs"] == cells["Clock"] == cells["L1d"] == NOT_REPORTED
    assert cells["GPUs"] == "NVIDIA &#60;H200&#62;"  # markup from a results file stays text


def test_every_reference_machine_has_a_column():
    site = Site()
    header = site.hardware_table().splitlines()[0]
    assert [cell.strip() for cell in header.strip("|").split("|")][1:] == site.machines()
