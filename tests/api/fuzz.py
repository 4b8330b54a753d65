"""Schemathesis over the served OpenAPI schema (`/api/schema/`), in process through the WSGI app.

One test file per role (tests/api/test_fuzz_<role>.py) so that pytest-xdist spreads the roles over its workers
(`--dist loadfile` keeps a file on one worker); one test per operation. Every operation is called with
schema-valid and schema-violating parameters and bodies, signed in as the role by token, and every answer is
checked: no 5xx, a documented status code, a body and headers matching the schema, invalid input refused.
`make test` prints the figures (operations, cases, failures per role) at the end of the run.

The requests run inside the test's transaction (fixture `in_process` in conftest.py), so writes roll back
with it. Hypothesis is derandomized: CI sees the same cases every run; `FUZZ_EXAMPLES=200` searches wider
locally. The boundaries that matter most (NUL, 2**63, over-long, bad dates) are pinned in test_bad_input.py.

The cases come from `operation.as_strategy()` under a plain `pytest.mark.parametrize`, not from
`@schema.parametrize()`: with pytest 9.2 the latter gives all its items one node id, which pytest-xdist
collapses into one test.
"""

import os

import schemathesis
from django.contrib.auth import get_user_model
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))

# A schema-valid id, filter value or reference may still name no record (or one outside the caller's scope):
# the schema can say "an integer", not "the id of an institution you may act on", so the API rightly answers
# 400 (unknown reference) or 404 to such a request. The check that every schema-valid request is accepted
# therefore does not apply; everything else does.
EXCLUDED_CHECKS = [positive_data_acceptance]

APP = get_wsgi_application()
# Anonymous request, no database: the schema loads at collection time, once per worker.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", APP)
_operations = [result.ok() for result in schema.get_all_operations()]
OPERATIONS = {"argvalues": _operations, "ids": [operation.label for operation in _operations]}


def auth_headers(username: str | None) -> dict:
    if username is None:
        return {}
    token, _ = Token.objects.get_or_create(user=get_user_model().objects.get(username=username))
    return {"Authorization": f"Token {token.key}"}


def fuzz(operation, role: str | None, stats: dict) -> None:
    """Send the operation MAX_EXAMPLES valid and invalid cases as `role` (None: anonymous); fail on any finding."""
    headers = auth_headers(role)
    stats["role"] = role or "anonymous"
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=cases)
    def run(case):
        stats["cases"] += 1
        case.call_and_validate(headers=headers, excluded_checks=EXCLUDED_CHECKS)

    run()
