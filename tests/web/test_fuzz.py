"""The JSON API fuzzed from its own OpenAPI schema (schemathesis): no request gets a 5xx answer.

Every operation gets a few generated requests (valid and invalid, including
boundary values of every limit); the example count is small to keep CI fast.
Jobs are refused in this app (``max_concurrent_jobs=0``) so that fuzzing starts
no trial processes; job creation is tested in ``test_api.py``.
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="API fuzzing needs schemathesis (the 'test' extra)")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402


def _app():
    import tempfile

    from oncoimmune.web import create_app

    return create_app(tempfile.mkdtemp(prefix="oncoimmune-fuzz-"), max_concurrent_jobs=0, warm=False)


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.parametrize()
@settings(max_examples=4, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_server_errors(case):
    response = case.call()
    case.validate_response(response, checks=[not_a_server_error])
