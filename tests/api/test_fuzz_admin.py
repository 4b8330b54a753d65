"""Fuzzing every API operation signed in as admin (tests/api/fuzz.py)."""

import pytest

from .fuzz import OPERATIONS, fuzz


@pytest.mark.parametrize("operation", **OPERATIONS)
def test_api_as_admin(operation, in_process, fuzz_stats):
    fuzz(operation, "admin", fuzz_stats)
