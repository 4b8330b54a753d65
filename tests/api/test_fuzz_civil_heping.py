"""Fuzzing every API operation signed in as civil_heping (tests/api/fuzz.py)."""

import pytest

from .fuzz import OPERATIONS, fuzz


@pytest.mark.parametrize("operation", **OPERATIONS)
def test_api_as_civil_heping(operation, in_process, fuzz_stats):
    fuzz(operation, "civil_heping", fuzz_stats)
