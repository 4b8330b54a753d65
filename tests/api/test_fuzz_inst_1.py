"""Fuzzing every API operation signed in as inst_1 (tests/api/fuzz.py)."""

import pytest

from .fuzz import OPERATIONS, fuzz


@pytest.mark.parametrize("operation", **OPERATIONS)
def test_api_as_inst_1(operation, in_process, fuzz_stats):
    fuzz(operation, "inst_1", fuzz_stats)
