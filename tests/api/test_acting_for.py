"""Whom an integration client may act for is one rule (`client_may_act_for`): the units
and people configured on the client, nobody when none are."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.api.conftest import Api
from tests.api.test_tasks_api import body, problem
from tests.conftest import Cast
from tests.work.conftest import Work, build_work
from thuocdo.api.models import IntegrationClient
from thuocdo.api.services import client_create, client_may_act_for, client_set_act_for
from thuocdo.audit.models import AuditEntry
from thuocdo.core import clock
from thuocdo.core.errors import ValidationFailed
from thuocdo.work.models import Task

WRITE = ["tasks:read", "tasks:write"]


@pytest.fixture
def work(cast: Cast) -> Work:
    return build_work(cast)


def client_for(cast: Cast, units: list[str] = [], people: list[str] = []) -> Api:  # noqa: B006
    _, token = client_create(
        actor=None,
        agency=cast.agency_a,
        name="Văn thư Vụ X",
        scopes=WRITE,
        act_for_units=units,
        act_for_people=people,
    )
    return Api(token)


def test_a_client_with_no_list_acts_for_nobody(work: Work) -> None:
    answer = client_for(work.cast).post("/tasks", body(work))
    data = problem(answer, 403)
    assert data["field"] == "assigner_code"
    assert data["detail"].startswith("Ứng dụng “Văn thư Vụ X” không được thay mặt cán bộ")
    assert not Task.objects.exists()


def test_a_unit_covers_its_people_and_the_units_below(work: Work) -> None:
    cast = work.cast
    api = client_for(cast, units=["X"])
    today = clock.today()
    client = IntegrationClient.objects.get(name="Văn thư Vụ X")
    assert client_may_act_for(client, cast.person("head_x"), on=today)
    assert client_may_act_for(client, cast.person("staff_x1"), on=today)
    assert not client_may_act_for(client, cast.person("head_y"), on=today)
    assert not client_may_act_for(client, cast.person("staff_z"), on=today)
    assert api.post("/tasks", body(work)).status_code == 201
    outside = api.post(
        "/tasks",
        body(work, assigner_code=cast.person("head_y").code, owner_code="P007"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert problem(outside, 403)["detail"].startswith(
        "Client 'Văn thư Vụ X' may not act for official"
    )


def test_acting_for_someone_outside_on_a_transition_is_a_403(work: Work) -> None:
    cast = work.cast
    api = client_for(cast, units=["X"])
    task = api.post("/tasks", body(work)).json()
    wrong = api.post(
        f"/tasks/{task['id']}/transitions",
        {"acting_person_code": cast.person("head_y").code, "action": "cancel", "version": 1},
    )
    assert problem(wrong, 403)["field"] == "acting_person_code"
    edit = api.patch(
        f"/tasks/{task['id']}",
        {"acting_person_code": cast.person("head_y").code, "version": 1, "title": "Khác"},
    )
    assert problem(edit, 403)["field"] == "acting_person_code"
    assert Task.objects.get(pk=task["id"]).version == 1


def test_named_people_may_be_acted_for_without_their_unit(work: Work) -> None:
    cast = work.cast
    api = client_for(cast, people=[cast.person("head_x").code])
    assert api.post("/tasks", body(work)).status_code == 201
    task = Task.objects.get()
    start = api.post(
        f"/tasks/{task.pk}/transitions",
        {"acting_person_code": cast.person("staff_x").code, "action": "start", "version": 1},
    )
    assert problem(start, 403)["field"] == "acting_person_code"


def test_the_audit_entry_names_the_official_and_the_client(work: Work) -> None:
    api = client_for(work.cast, units=["X"])
    task = api.post("/tasks", body(work)).json()
    client = IntegrationClient.objects.get(name="Văn thư Vụ X")
    entry = AuditEntry.objects.get(action="work.task.assign", object_id=str(task["id"]))
    assert entry.actor == work.cast.user("head_x")
    assert entry.channel == f"api:{client.pk}:Văn thư Vụ X"


def test_the_list_names_known_codes_of_the_agency_and_changes_are_audited(cast: Cast) -> None:
    with pytest.raises(ValidationFailed) as refused:
        client_create(actor=None, agency=cast.agency_a, name="A", scopes=WRITE, act_for_units=["Z"])
    assert refused.value.field == "act_for_units"
    with pytest.raises(ValidationFailed) as refused:
        client_create(
            actor=None, agency=cast.agency_a, name="A", scopes=WRITE, act_for_people=["NOPE"]
        )
    assert refused.value.field == "act_for_people"
    client, _ = client_create(
        actor=None, agency=cast.agency_a, name="A", scopes=WRITE, act_for_units=["BA", " X "]
    )
    assert client.act_for_units == ["BA", "X"]
    assert client_may_act_for(client, cast.person("head_y"), on=clock.today())
    client_set_act_for(actor=None, client=client, act_for_units=[], act_for_people=[])
    assert not client_may_act_for(client, cast.person("head_y"), on=clock.today())
    entry = AuditEntry.objects.get(action="api.client.act_for")
    assert entry.before == {"act_for_units": ["BA", "X"], "act_for_people": []}
    assert entry.after == {"act_for_units": [], "act_for_people": []}


def test_the_command_sets_the_list(cast: Cast) -> None:
    client, _ = client_create(actor=None, agency=cast.agency_a, name="A", scopes=WRITE)
    call_command("api_client_act_for", prefix=client.token_prefix, units="Y", people="P002")
    client.refresh_from_db()
    assert (client.act_for_units, client.act_for_people) == (["Y"], ["P002"])
