"""Fuzzing every API operation not signed in (tests/api/fuzz.py)."""

import pytest

from .fuzz import OPERATIONS, fuzz


@pytest.mark.parametrize("operation", **OPERATIONS)
def test_api_as_anonymous(operation, in_process, fuzz_stats):
    fuzz(operation, None, fuzz_stats)
