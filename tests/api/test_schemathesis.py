"""Issue 16: a bounded schemathesis run over the whole API: 0 server errors, 0 contract failures.

Every operation of the OpenAPI document is called with data generated from it: data that
fits the schema (it must be accepted, or refused only with a status the document lists),
data that does not (it must be refused with 4xx), and fitting data aimed at objects that
exist (so reads and writes get past 404). Each call is checked by schemathesis's own
checks: no 5xx, status and content type and body as documented, headers as documented.
Derandomised, so a run in CI is the run on a laptop; bounded by EXAMPLES per operation.
It runs on SQLite in `make test` and on PostgreSQL in CI.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from io import StringIO
from typing import Any

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.modes import GenerationMode

from tests.conftest import Cast
from tests.evaluations.conftest import open_period
from tests.work.conftest import Work, build_work
from thuocdo.api.services import client_create
from thuocdo.evaluations import services

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25"))
# Schema-valid data may still break a rule the schema cannot state: 400 names the rule and
# the field (a deadline in the past, a code nobody has, a step the task's state does not
# allow), 428 asks for the version (If-Match or a `version` field: one of two, which
# OpenAPI cannot express). What schema-valid data must never get is 422, "against the
# schema", nor a 5xx: that is what this run holds the API to.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "428", "429"]
            }
        }
    }
)


@dataclass
class Target:
    token: str
    ids: dict[str, int]  # path parameter → the id of an object that exists


@pytest.fixture
def target(cast: Cast) -> Target:
    work: Work = build_work(cast)
    task = work.assign()
    call_command("load_presets", stdout=StringIO())
    period = open_period(cast)
    period = services.period_transition(
        actor=cast.user("personnel_a"),
        period=period,
        action="start_self_assessment",
        expected_version=period.version,
    )
    _, token = client_create(
        actor=None,
        agency=cast.agency_a,
        name="Kiểm thử hợp đồng",
        scopes=["org:read", "catalogue:read", "tasks:read", "tasks:write", "evaluations:read"],
        act_for_units=["BA"],
    )
    ids = {
        "period_id": period.pk,
        "evaluation_id": period.evaluations.order_by("pk").values_list("pk", flat=True)[0],
        "unit_id": cast.unit_x.pk,
        "person_id": cast.person("staff_x").pk,
        "catalogue_id": work.version.catalogue_id,
        "task_id": task.pk,
    }
    return Target(token, ids)


def _run(strategy: Any) -> None:
    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        derandomize=os.environ.get("SCHEMATHESIS_RANDOM") is None,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case: Any) -> None:
        case.call_and_validate()

    call()


# The run is a burst of requests, some deliberately without a token: no limits here.
@override_settings(API_RATE_LIMIT="off", API_AUTH_FAILURE_LIMIT="off")
def test_the_api_keeps_its_contract(target: Target) -> None:
    from thuocdo.config.wsgi import application

    # Schemathesis calls the WSGI application itself; like Django's test client, keep the
    # request signals from closing the test's connection (and its transaction) midway.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        _walk(target, application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _walk(target: Target, application: Any) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=CONFIG)
    headers = {"Authorization": f"Bearer {target.token}"}
    failures: list[str] = []
    runs = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        names = {p.name for p in operation.path_parameters}
        known = {name: target.ids[name] for name in names if name in target.ids}
        # The token is given, not generated: a negative case never "removes" it only for the
        # transport to put it back.
        strategies = [
            ("positive", operation.as_strategy(GenerationMode.POSITIVE, headers=headers)),
            ("negative", operation.as_strategy(GenerationMode.NEGATIVE, headers=headers)),
        ]
        if known:
            strategies.append(
                (
                    "existing",
                    operation.as_strategy(
                        GenerationMode.POSITIVE, headers=headers, path_parameters=known
                    ),
                )
            )
        for mode, strategy in strategies:
            runs += 1
            try:
                _run(strategy)
            except BaseExceptionGroup as error:  # every failing operation is reported
                failures.append(f"{operation.label} ({mode}): {error}")
    print(f"\nschemathesis: {runs} runs of ≤ {EXAMPLES} examples, {len(failures)} failed")
    assert runs >= 26, "every operation should have been walked"
    assert not failures, "\n\n".join(failures)
