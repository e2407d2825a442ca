"""Tasks and catalogues through the API: create (idempotent), read, edit with versions,
transitions, filters — and bad input that always gets a clear 4xx, never a 5xx."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import Api
from tests.conftest import Cast
from tests.work.conftest import Work, build_work
from thuocdo.api.models import IdempotencyRecord
from thuocdo.api.schemas_work import TaskExtra, TaskKind, TaskState
from thuocdo.api.services import client_create
from thuocdo.audit.models import AuditEntry
from thuocdo.core import clock
from thuocdo.org import services as org_services
from thuocdo.org.models import Person
from thuocdo.work import services
from thuocdo.work.models import Task
from thuocdo.work.transitions import ACTIONS

TODAY = clock.today()
SOON = TODAY + dt.timedelta(days=10)


@pytest.fixture
def work(cast: Cast) -> Work:
    return build_work(cast)


def code(cast: Cast, name: str) -> str:
    return cast.person(name).code


def body(work: Work, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "assigner_code": code(work.cast, "head_x"),
        "owner_code": code(work.cast, "staff_x"),
        "title": "Soạn công văn trả lời Bộ",
        "kind": "arising",
        "deadline": SOON.isoformat(),
        "quantity": "2",
        "product_type_id": work.products["CV"].pk,
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def create(api: Api, work: Work, **changes: Any) -> dict[str, Any]:
    answer = api.post("/tasks", body(work, **changes))
    assert answer.status_code == 201, answer.json()
    return dict(answer.json())


def problem(answer: Any, status: int) -> dict[str, Any]:
    assert answer.status_code == status, (answer.status_code, answer.content[:500])
    data = answer.json()
    assert data["detail"], data
    return dict(data)


# --- create ---------------------------------------------------------------------------------


def test_a_client_assigns_a_task_on_behalf_of_a_leader(api_a: Api, work: Work) -> None:
    answer = api_a.post(
        "/tasks", body(work, collaborator_codes=[code(work.cast, "staff_x1")], description="Gấp")
    )
    assert answer.status_code == 201
    data = answer.json()
    assert answer["ETag"] == '"1"'
    assert answer["Location"] == f"/api/v1/tasks/{data['id']}"
    assert (data["state"], data["version"], data["quantity"], data["coefficient"]) == (
        "assigned",
        1,
        "2.00",
        "0.5000",
    )
    assert (data["assigner_code"], data["owner_code"], data["unit_code"]) == ("P002", "P004", "X")
    assert data["collaborator_codes"] == ["P005"]
    task = Task.objects.get(pk=data["id"])
    assert task.assigner == work.cast.person("head_x")
    entry = AuditEntry.objects.get(action="work.task.assign", object_id=str(task.pk))
    assert entry.actor == work.cast.user("head_x")
    assert entry.channel.startswith("api:") and "Hệ thống văn bản A" in entry.channel


def test_the_same_idempotency_key_and_body_replays_the_first_answer(api_a: Api, work: Work) -> None:
    first = api_a.post("/tasks", body(work), HTTP_IDEMPOTENCY_KEY="cv-2026-001")
    # The same meaning in other words: keys reordered, 2 written as 2.0.
    same = dict(reversed(list(body(work, quantity=2.0).items())))
    again = api_a.post("/tasks", same, HTTP_IDEMPOTENCY_KEY="cv-2026-001")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert again["ETag"] == first["ETag"]
    assert Task.objects.count() == 1
    assert AuditEntry.objects.filter(action="work.task.assign").count() == 1
    assert IdempotencyRecord.objects.get(key="cv-2026-001").status == 201


def test_the_same_key_with_another_body_is_a_409(api_a: Api, work: Work) -> None:
    api_a.post("/tasks", body(work), HTTP_IDEMPOTENCY_KEY="k-1")
    other = api_a.post("/tasks", body(work, title="Việc khác"), HTTP_IDEMPOTENCY_KEY="k-1")
    data = problem(other, 409)
    assert "đã được dùng cho một yêu cầu tạo nhiệm vụ có nội dung khác" in data["detail"]
    assert data["field"] == "Idempotency-Key"
    assert Task.objects.count() == 1


def test_keys_belong_to_one_client_and_failures_are_not_remembered(api_a: Api, work: Work) -> None:
    refused = api_a.post("/tasks", body(work, owner_code="NOPE"), HTTP_IDEMPOTENCY_KEY="k-2")
    assert refused.status_code == 400
    assert not IdempotencyRecord.objects.exists()
    assert api_a.post("/tasks", body(work), HTTP_IDEMPOTENCY_KEY="k-2").status_code == 201
    _, token = client_create(
        actor=None,
        agency=work.cast.agency_a,
        name="Ứng dụng khác",
        scopes=["tasks:write"],
        act_for_units=["BA"],
    )
    assert Api(token).post("/tasks", body(work), HTTP_IDEMPOTENCY_KEY="k-2").status_code == 201
    assert Task.objects.count() == 2


def test_without_a_key_every_post_creates_a_task(api_a: Api, work: Work) -> None:
    create(api_a, work)
    create(api_a, work)
    assert Task.objects.count() == 2


def test_a_planned_task_takes_the_plan_items_product(api_a: Api, work: Work) -> None:
    data = create(api_a, work, kind="planned", plan_item_id=work.item.pk, product_type_id=None)
    assert (data["plan_item_id"], data["product_type_id"]) == (work.item.pk, work.products["CV"].pk)


# --- read -----------------------------------------------------------------------------------


def test_a_task_is_read_with_its_version_as_etag(api_a: Api, work: Work) -> None:
    created = create(api_a, work)
    answer = api_a.get(f"/tasks/{created['id']}")
    assert answer.status_code == 200
    assert answer["ETag"] == '"1"'
    assert answer.json() == created


def test_tasks_are_listed_with_filters_and_pages(api_a: Api, work: Work) -> None:
    cast = work.cast
    a = create(api_a, work)
    b = create(api_a, work, owner_code=code(cast, "staff_x1"), kind="other", product_type_id=None)
    c = create(
        api_a,
        work,
        assigner_code=code(cast, "head_y"),
        owner_code=code(cast, "staff_y"),
        product_type_id=None,
        deadline=(TODAY + dt.timedelta(days=40)).isoformat(),
    )
    started = api_a.post(
        f"/tasks/{a['id']}/transitions",
        {"acting_person_code": code(cast, "staff_x"), "action": "start"},
        HTTP_IF_MATCH='"1"',
    )
    assert started.status_code == 200
    services.task_assign(  # another agency's task is never listed
        actor=cast.user("head_z"),
        owner=cast.person("staff_z"),
        title="Việc của cơ quan B",
        kind="arising",
        deadline=SOON,
    )

    def ids(query: str) -> list[int]:
        answer = api_a.get(f"/tasks{query}")
        assert answer.status_code == 200, answer.json()
        return [item["id"] for item in answer.json()["items"]]

    assert ids("") == [a["id"], b["id"], c["id"]]
    assert ids(f"?owner_code={code(cast, 'staff_x')}") == [a["id"]]
    assert ids(f"?unit_id={cast.unit_x.pk}") == [a["id"]]
    assert ids(f"?unit_id={cast.unit_x.pk}&subunits=true") == [a["id"], b["id"]]
    assert ids("?state=assigned") == [b["id"], c["id"]]
    assert ids("?state=assigned&state=in_progress") == [a["id"], b["id"], c["id"]]
    assert ids("?kind=other") == [b["id"]]
    later = (TODAY + dt.timedelta(days=20)).isoformat()
    assert ids(f"?deadline_from={later}") == [c["id"]]
    assert ids(f"?deadline_to={later}") == [a["id"], b["id"]]
    since = Task.objects.get(pk=a["id"]).updated_at.isoformat()
    assert ids(f"?updated_since={since.replace('+', '%2B')}") == [a["id"]]
    assert ids("?order=updated")[-1] == a["id"]
    assert ids(f"?unit_id={cast.unit_z.pk}&subunits=true") == []
    page = api_a.get("/tasks?limit=1&offset=1").json()
    assert (page["count"], page["limit"], page["offset"]) == (3, 1, 1)
    assert [item["id"] for item in page["items"]] == [b["id"]]


def test_listing_costs_a_fixed_number_of_queries(api_a: Api, work: Work) -> None:
    for _ in range(3):
        create(api_a, work, collaborator_codes=[code(work.cast, "staff_x1")])
    with CaptureQueriesContext(connection) as few:
        assert api_a.get("/tasks").status_code == 200
    for _ in range(10):
        create(api_a, work, collaborator_codes=[code(work.cast, "staff_x1")])
    with CaptureQueriesContext(connection) as many:
        assert len(api_a.get("/tasks").json()["items"]) == 13
    assert len(many) == len(few) <= 6


# --- update with versions -------------------------------------------------------------------


def patch_body(cast: Cast, **changes: Any) -> dict[str, Any]:
    return {"acting_person_code": code(cast, "head_x"), **changes}


def test_an_edit_with_the_current_version_applies_and_bumps_it(api_a: Api, work: Work) -> None:
    task = create(api_a, work)
    answer = api_a.patch(
        f"/tasks/{task['id']}",
        patch_body(work.cast, title="Tên mới", quantity="3.5", reason="Bổ sung"),
        HTTP_IF_MATCH='"1"',
    )
    assert answer.status_code == 200, answer.json()
    assert answer["ETag"] == '"2"'
    assert (answer.json()["title"], answer.json()["quantity"]) == ("Tên mới", "3.50")
    by_field = api_a.patch(
        f"/tasks/{task['id']}", patch_body(work.cast, description="x", version=2)
    )
    assert by_field.status_code == 200
    assert by_field.json()["version"] == 3
    entry = AuditEntry.objects.filter(action="work.task.update").order_by("id").first()
    assert entry is not None and entry.reason == "Bổ sung"
    assert entry.channel.startswith("api:")


def test_a_stale_edit_is_409_and_changes_nothing(api_a: Api, work: Work) -> None:
    task = create(api_a, work)
    api_a.patch(f"/tasks/{task['id']}", patch_body(work.cast, title="A"), HTTP_IF_MATCH='"1"')
    stale = api_a.patch(
        f"/tasks/{task['id']}", patch_body(work.cast, title="B"), HTTP_IF_MATCH='"1"'
    )
    data = problem(stale, 409)
    assert "thay đổi" in data["detail"] and "hiện là 2" in data["detail"]
    assert data["field"] == "version"
    assert Task.objects.get(pk=task["id"]).title == "A"


def test_an_edit_without_a_version_is_428(api_a: Api, work: Work) -> None:
    task = create(api_a, work)
    missing = problem(api_a.patch(f"/tasks/{task['id']}", patch_body(work.cast, title="B")), 428)
    assert "If-Match" in missing["detail"]
    star = api_a.patch(f"/tasks/{task['id']}", patch_body(work.cast, title="B"), HTTP_IF_MATCH="*")
    problem(star, 428)
    assert Task.objects.get(pk=task["id"]).version == 1


@pytest.mark.parametrize(
    ("headers", "extra", "status", "field"),
    [
        ({"HTTP_IF_MATCH": "abc"}, {}, 400, "If-Match"),
        ({"HTTP_IF_MATCH": '"99999999999"'}, {}, 400, "If-Match"),
        ({"HTTP_IF_MATCH": '"1"'}, {"version": 2}, 400, "version"),
        ({"HTTP_IF_MATCH": 'W/"1"'}, {"deadline": "2030-01-01"}, 422, "deadline"),
        ({}, {"version": 0}, 422, "version"),
        ({}, {"version": "one"}, 422, "version"),
        ({"HTTP_IF_MATCH": '"1"'}, {"quantity": "-1"}, 400, "quantity"),
        ({"HTTP_IF_MATCH": '"1"'}, {"quantity": "1e15"}, 422, "quantity"),
        ({"HTTP_IF_MATCH": '"1"'}, {"title": "   "}, 400, "title"),
        ({"HTTP_IF_MATCH": '"1"'}, {"acting_person_code": "P010"}, 400, "acting_person_code"),
    ],
)
def test_bad_edits_get_a_clear_4xx(
    api_a: Api, work: Work, headers: dict[str, str], extra: dict[str, Any], status: int, field: str
) -> None:
    task = create(api_a, work)
    answer = api_a.patch(
        f"/tasks/{task['id']}", {**patch_body(work.cast, title="B"), **extra}, **headers
    )
    assert problem(answer, status)["field"] == field
    assert Task.objects.get(pk=task["id"]).version == 1


def test_an_edit_with_nothing_to_change_is_refused(api_a: Api, work: Work) -> None:
    task = create(api_a, work)
    answer = api_a.patch(f"/tasks/{task['id']}", patch_body(work.cast), HTTP_IF_MATCH='"1"')
    assert "Không có gì để sửa" in problem(answer, 400)["detail"]


def test_only_a_reviewer_edits(api_a: Api, work: Work) -> None:
    task = create(api_a, work)
    owner_edit = api_a.patch(
        f"/tasks/{task['id']}",
        {"acting_person_code": code(work.cast, "staff_x"), "title": "Tự sửa"},
        HTTP_IF_MATCH='"1"',
    )
    assert "Chỉ người giao việc" in problem(owner_edit, 403)["detail"]


# --- transitions ----------------------------------------------------------------------------


def move(api: Api, task_id: int, who: str, etag: int, **fields: Any) -> Any:
    return api.post(
        f"/tasks/{task_id}/transitions",
        {"acting_person_code": who, **fields},
        HTTP_IF_MATCH=f'"{etag}"',
    )


def test_a_task_goes_through_the_workflow(api_a: Api, work: Work) -> None:
    cast = work.cast
    task = create(api_a, work)
    owner, reviewer = code(cast, "staff_x"), code(cast, "head_x")
    assert move(api_a, task["id"], owner, 1, action="start").json()["state"] == "in_progress"
    assert move(api_a, task["id"], owner, 2, action="submit").json()["state"] == "submitted"
    returned = move(api_a, task["id"], reviewer, 3, action="return", reason="Sai số liệu")
    assert (returned.json()["state"], returned.json()["failures"]) == ("returned", 1)
    assert move(api_a, task["id"], owner, 4, action="resubmit").status_code == 200
    accepted = move(api_a, task["id"], reviewer, 5, action="accept", done_quantity="1.5")
    assert accepted.status_code == 200
    data = accepted.json()
    assert (data["state"], data["done_quantity"], data["completed_on"], data["version"]) == (
        "accepted",
        "1.50",
        TODAY.isoformat(),
        6,
    )
    assert accepted["ETag"] == '"6"'
    channels = set(
        AuditEntry.objects.filter(object_type="work.task").values_list("channel", flat=True)
    )
    assert len(channels) == 1 and next(iter(channels)).startswith("api:")


def test_a_forbidden_transition_is_409_with_the_services_message(api_a: Api, work: Work) -> None:
    task = create(api_a, work)
    refused = move(api_a, task["id"], code(work.cast, "head_x"), 1, action="accept")
    data = problem(refused, 409)
    assert data["detail"].startswith("Không thể “nghiệm thu” khi nhiệm vụ đang ở trạng thái")
    assert data["field"] == "action"


@pytest.mark.parametrize(
    ("who", "fields", "status", "field"),
    [
        ("head_x", {"action": "submit"}, 403, ""),  # only the owner submits
        ("head_x", {"action": "cancel"}, 400, "reason"),  # a reason is required
        ("staff_x", {"action": "fly"}, 422, "action"),
        ("staff_x", {"action": "start", "version": 7}, 400, "version"),  # differs from If-Match
        ("staff_y", {"action": "start"}, 403, ""),
        ("staff_x", {"action": "start", "extra_field": 1}, 422, "extra_field"),
        ("nobody", {"action": "start"}, 400, "acting_person_code"),
    ],
)
def test_bad_transitions_get_a_clear_4xx(
    api_a: Api, work: Work, who: str, fields: dict[str, Any], status: int, field: str
) -> None:
    task = create(api_a, work)
    person = code(work.cast, who) if who in work.cast.people else "NOBODY"
    answer = move(api_a, task["id"], person, 1, **fields)
    assert problem(answer, status)["field"] == field
    assert Task.objects.get(pk=task["id"]).version == 1


def test_accepting_more_than_assigned_or_a_negative_amount_is_refused(
    api_a: Api, work: Work
) -> None:
    task = create(api_a, work)
    owner, reviewer = code(work.cast, "staff_x"), code(work.cast, "head_x")
    move(api_a, task["id"], owner, 1, action="submit")
    for amount in ("-1", "3"):
        answer = move(api_a, task["id"], reviewer, 2, action="accept", done_quantity=amount)
        assert problem(answer, 400)["field"] == "done_quantity"
    assert Task.objects.get(pk=task["id"]).state == "submitted"


def test_a_transition_needs_a_version_and_refuses_a_stale_one(api_a: Api, work: Work) -> None:
    task = create(api_a, work)
    owner = code(work.cast, "staff_x")
    no_version = api_a.post(
        f"/tasks/{task['id']}/transitions", {"acting_person_code": owner, "action": "start"}
    )
    problem(no_version, 428)
    by_field = api_a.post(
        f"/tasks/{task['id']}/transitions",
        {"acting_person_code": owner, "action": "start", "version": 1},
    )
    assert by_field.status_code == 200
    problem(move(api_a, task["id"], owner, 1, action="submit"), 409)


# --- bad input, wrong agency, scopes ---------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"owner_code": "NOPE"}, 400, "owner_code"),
        ({"assigner_code": "NOPE"}, 400, "assigner_code"),
        ({"assigner_code": "P011"}, 400, "assigner_code"),  # another agency's official
        ({"assigner_code": "P004", "owner_code": "P005"}, 403, "owner_code"),  # not a leader
        ({"owner_code": "P010"}, 400, "owner_code"),
        ({"collaborator_codes": ["P005", "NOPE"]}, 400, "collaborator_codes"),
        ({"collaborator_codes": ["P004"]}, 400, "collaborator_codes"),  # the owner
        ({"kind": "urgent"}, 422, "kind"),
        ({"extra": "bonus"}, 422, "extra"),
        ({"kind": "planned", "product_type_id": None}, 400, "plan_item_id"),
        ({"plan_item_id": 999999}, 400, "plan_item_id"),
        ({"product_type_id": 999999}, 400, "product_type_id"),
        ({"product_type_id": 2**70}, 422, "product_type_id"),
        ({"product_type_id": "CV"}, 422, "product_type_id"),
        ({"taken_over_from_id": 999999}, 400, "taken_over_from_id"),
        ({"deadline": "2026-02-30"}, 422, "deadline"),
        ({"deadline": "mai"}, 422, "deadline"),
        ({"deadline": "2020-01-01"}, 400, "deadline"),
        ({"quantity": "-2"}, 400, "quantity"),
        ({"quantity": "0"}, 400, "quantity"),
        ({"quantity": "abc"}, 422, "quantity"),
        ({"quantity": "NaN"}, 422, "quantity"),
        ({"quantity": "1.234"}, 422, "quantity"),
        ({"quantity": "12345678901234"}, 422, "quantity"),
        ({"quantity": None, "title": "x" * 501}, 422, "title"),
        ({"title": "   "}, 400, "title"),
        ({"title": None}, 422, "title"),
        ({"owner_code": 42}, 422, "owner_code"),
        ({"unexpected": True}, 422, "unexpected"),
    ],
)
def test_bad_creates_get_a_clear_4xx_and_change_nothing(
    api_a: Api, work: Work, changes: dict[str, Any], status: int, field: str
) -> None:
    payload = body(work)
    for key, value in changes.items():
        if value is None:
            payload.pop(key, None)
        else:
            payload[key] = value
    answer = api_a.post("/tasks", payload)
    assert problem(answer, status)["field"] == field
    assert not Task.objects.exists()


def test_an_official_without_a_login_cannot_be_acted_for(api_a: Api, work: Work) -> None:
    person = org_services.person_create(
        actor=None,
        agency=work.cast.agency_a,
        code="P900",
        full_name="Trần Thị Không Tài Khoản",
        category=Person.Category.CIVIL_SERVANT,
    )
    org_services.assignment_start(
        actor=None, person=person, unit=work.cast.unit_x, start_date=TODAY
    )
    answer = api_a.post("/tasks", body(work, assigner_code="P900"))
    data = problem(answer, 400)
    assert "chưa có tài khoản đăng nhập" in data["detail"]
    assert data["field"] == "assigner_code"


def test_errors_speak_english_on_request(api_a: Api, work: Work) -> None:
    answer = api_a.get("/tasks/999999", HTTP_ACCEPT_LANGUAGE="en")
    assert problem(answer, 404)["detail"] == "Task #999999 was not found in the agency."
    task = create(api_a, work)
    stale = api_a.patch(
        f"/tasks/{task['id']}",
        patch_body(work.cast, title="B"),
        HTTP_IF_MATCH='"7"',
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert problem(stale, 409)["detail"].startswith("The task changed meanwhile")


def test_unknown_and_other_agencies_tasks_are_404(api_a: Api, work: Work) -> None:
    theirs = services.task_assign(
        actor=work.cast.user("head_z"),
        owner=work.cast.person("staff_z"),
        title="Việc của cơ quan B",
        kind="arising",
        deadline=SOON,
    )
    for task_id in (theirs.pk, 999999):
        assert "Không tìm thấy nhiệm vụ" in problem(api_a.get(f"/tasks/{task_id}"), 404)["detail"]
        edit = api_a.patch(
            f"/tasks/{task_id}", patch_body(work.cast, title="x"), HTTP_IF_MATCH='"1"'
        )
        problem(edit, 404)
        problem(move(api_a, task_id, code(work.cast, "head_x"), 1, action="cancel"), 404)
    assert Task.objects.get(pk=theirs.pk).title == "Việc của cơ quan B"
    for path in ("/tasks/abc", f"/tasks/{2**64}", "/tasks/0", "/tasks/-1"):
        assert problem(api_a.get(path), 422)["field"] == "task_id"


@pytest.mark.parametrize(
    "query",
    [
        "?deadline_from=2026-13-01",
        "?updated_since=yesterday",
        "?state=lost",
        "?kind=urgent",
        "?unit_id=x",
        f"?unit_id={2**64}",
        "?offset=-1",
        f"?offset={10**20}",
        "?limit=many",
        "?order=random",
        "?subunits=maybe",
    ],
)
def test_bad_filters_get_a_422(api_a: Api, cast: Cast, query: str) -> None:
    problem(api_a.get(f"/tasks{query}"), 422)


def test_a_body_that_is_not_json_is_a_400(api_a: Api, work: Work) -> None:
    task = create(api_a, work)
    for path in ("/tasks", f"/tasks/{task['id']}/transitions"):
        answer = api_a.post(path, "{not json", HTTP_IF_MATCH='"1"')
        assert answer.status_code == 400
        assert answer.json()["detail"]
    broken = api_a.patch(f"/tasks/{task['id']}", "{", HTTP_IF_MATCH='"1"')
    assert broken.status_code == 400
    for wrong_shape in ([1, 2], '"text"', 5, "null"):
        assert api_a.post("/tasks", wrong_shape).status_code == 422


def test_scopes_are_enforced(work: Work) -> None:
    _, reader = client_create(
        actor=None, agency=work.cast.agency_a, name="Chỉ đọc", scopes=["tasks:read"]
    )
    _, org_only = client_create(
        actor=None, agency=work.cast.agency_a, name="Tổ chức", scopes=["org:read"]
    )
    refused = Api(reader).post("/tasks", body(work))
    assert "chưa được cấp phạm vi “tasks:write”" in problem(refused, 403)["detail"]
    assert Api(reader).get("/tasks").status_code == 200
    assert "tasks:read" in problem(Api(org_only).get("/tasks"), 403)["detail"]
    assert "catalogue:read" in problem(Api(org_only).get("/catalogues"), 403)["detail"]
    assert not Task.objects.exists()


def test_no_token_is_401(client: Client, work: Work) -> None:
    assert client.get("/api/v1/tasks").status_code == 401
    assert client.post("/api/v1/tasks", {}, content_type="application/json").status_code == 401


# --- catalogues -----------------------------------------------------------------------------


def test_catalogues_show_their_decided_versions_and_products(api_a: Api, work: Work) -> None:
    services.catalogue_version_propose(  # a draft v2 is not shown
        actor=work.cast.user("head_x"), catalogue=work.version.catalogue
    )
    page = api_a.get("/catalogues").json()
    assert page["count"] == 1
    catalogue = page["items"][0]
    assert (catalogue["decided_version"], [v["number"] for v in catalogue["versions"]]) == (1, [1])
    products = api_a.get(f"/catalogues/{catalogue['id']}/product-types").json()
    assert [p["code"] for p in products["items"]] == ["BC", "CV", "DX", "TD"]
    cv = next(p for p in products["items"] if p["code"] == "CV")
    assert (cv["coefficient"], cv["version"], cv["id"]) == ("0.5000", 1, work.products["CV"].pk)
    problem(api_a.get(f"/catalogues/{catalogue['id']}/product-types?version=2"), 404)
    in_force = api_a.get("/product-types").json()
    assert in_force["count"] == 4
    assert api_a.get(f"/product-types?job_position_id={work.cast.job_x.pk}").json()["count"] == 4
    problem(api_a.get(f"/product-types?job_position_id={work.cast.job_b.pk}"), 404)
    problem(api_a.get(f"/product-types?job_position_id={2**64}"), 404)


def test_another_agencys_or_an_undecided_catalogue_is_404(api_a: Api, work: Work) -> None:
    theirs = services.catalogue_create(
        actor=work.cast.user("head_z"), agency=work.cast.agency_b, name="Danh mục B"
    )
    assert (
        "Không tìm thấy danh mục"
        in problem(api_a.get(f"/catalogues/{theirs.pk}/product-types"), 404)["detail"]
    )
    problem(api_a.get("/catalogues/abc/product-types"), 422)
    ours = services.catalogue_create(
        actor=work.cast.user("personnel_a"),
        agency=work.cast.agency_a,
        name="Danh mục Vụ X",
        job_position=work.cast.job_x,
    )
    undecided = problem(api_a.get(f"/catalogues/{ours.pk}/product-types"), 404)
    assert "chưa có phiên bản được quyết định" in undecided["detail"]


# --- the contract ---------------------------------------------------------------------------


def test_the_openapi_document_describes_tasks_and_their_headers(client: Client, db: None) -> None:
    document = client.get("/api/v1/openapi.json").json()
    paths = document["paths"]
    for path in (
        "/api/v1/tasks",
        "/api/v1/tasks/{task_id}",
        "/api/v1/tasks/{task_id}/transitions",
        "/api/v1/catalogues",
        "/api/v1/catalogues/{catalogue_id}/product-types",
        "/api/v1/product-types",
    ):
        assert path in paths
    create_params = {p["name"] for p in paths["/api/v1/tasks"]["post"]["parameters"]}
    assert "Idempotency-Key" in create_params
    patch = paths["/api/v1/tasks/{task_id}"]["patch"]
    assert "If-Match" in {p["name"] for p in patch["parameters"]}
    assert {"200", "409", "428"} <= set(patch["responses"])


def test_the_api_enums_match_the_model() -> None:
    assert set(TaskKind.__args__) == set(Task.Kind.values)  # type: ignore[attr-defined]
    assert set(TaskExtra.__args__) == set(Task.Extra.values)  # type: ignore[attr-defined]
    assert set(TaskState.__args__) == set(Task.State.values)  # type: ignore[attr-defined]
    from thuocdo.api.schemas_work import TaskAction

    assert set(TaskAction.__args__) == set(ACTIONS)  # type: ignore[attr-defined]


def test_an_overlong_idempotency_key_is_refused(api_a: Api, work: Work) -> None:
    answer = api_a.post("/tasks", body(work), HTTP_IDEMPOTENCY_KEY="k" * 101)
    assert problem(answer, 400)["field"] == "Idempotency-Key"
    assert not Task.objects.exists()
