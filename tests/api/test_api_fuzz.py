"""Schemathesis against the served OpenAPI document, with an admin key, on SQLite and PostgreSQL: no 5xx,
no answer the document does not describe (status, content type, body schema, headers).

Every operation gets `EXAMPLES` generated cases (derandomized, so a run is reproducible), which keeps the run
to a few seconds; raise it locally with `TICKETBOT_FUZZ_EXAMPLES` to search harder.
"""

from __future__ import annotations

import os

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.threaded import ThreadedApp

EXAMPLES = int(os.environ.get("TICKETBOT_FUZZ_EXAMPLES", "6"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def test_fuzzing_the_served_document_finds_no_server_error_and_no_undocumented_answer(db_url):
    with ThreadedApp(db_url) as server, requests.Session() as http:
        # A service key: fuzzed DELETEs of members cannot take it away, and a key cannot revoke itself.
        auth = {"Authorization": f"Bearer {server.keys['service']}"}
        answer = http.get(f"{server.url}/api/v1/openapi.json", headers=auth, timeout=10)
        assert answer.status_code == 200
        schema = schemathesis.openapi.from_dict(answer.json())
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 30

        for operation in operations:
            fuzz(operation, server.url, http, auth)
        audit = http.get(f"{server.url}/api/v1/audit", headers=auth, timeout=10).json()
        assert audit["items"], "the fuzzer never got a write accepted: the document's bodies are unusable"


def fuzz(operation, base_url: str, http: requests.Session, auth: dict[str, str]) -> None:
    """Send `EXAMPLES` generated cases of one operation and check every answer against the document."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        case.call_and_validate(base_url=base_url, session=http, headers=auth, checks=CHECKS)

    run()
