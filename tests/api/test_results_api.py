"""Issue 17, point 1: periods, evaluations, unit evaluations, decisions and year results
through the API — scope `evaluations:read`, results only once published, keyset paging,
ETags, the web's access rules, Vietnamese errors."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from tests.api.conftest import Api
from tests.conftest import Cast
from tests.evaluations.conftest import (
    AGENCY_A,
    Flow,
    make_flow,
    open_period,
)
from thuocdo.access import visible_evaluations, visible_periods, visible_unit_evaluations
from thuocdo.api.services import client_create
from thuocdo.evaluations.models import Evaluation, Period, QuotaGroup, UnitEvaluation


def _reader(cast: Cast, agency: Any = None, scopes: list[str] | None = None) -> Api:
    _, token = client_create(
        actor=None,
        agency=agency or cast.agency_a,
        name="Nền tảng chia sẻ dữ liệu",
        scopes=scopes or ["evaluations:read"],
    )
    return Api(token)


@pytest.fixture
def decided(cast: Cast) -> Flow:
    """January 2026 of agency A, every evaluation decided, not yet published."""
    call_command("load_presets", stdout=StringIO())
    flow = make_flow(cast)
    for name in AGENCY_A:
        flow.task(name)
    flow.to_decision()
    flow.rate_units()
    flow.decide_all()
    return flow


def _all_pages(api: Api, path: str, limit: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    after = 0
    for _ in range(50):
        answer = api.get(f"{path}?limit={limit}&after={after}")
        assert answer.status_code == 200, answer.content
        page = answer.json()
        assert len(page["items"]) <= limit
        items += page["items"]
        if page["next_after"] is None:
            return items
        assert page["next_after"] == page["items"][-1]["id"]
        after = page["next_after"]
    raise AssertionError("paging never ended")


def test_published_results_read_page_by_page(decided: Flow) -> None:
    flow = decided
    flow.publish()
    api = _reader(flow.cast)
    period = flow.refresh()

    listed = api.get("/periods?kind=month&year=2026").json()
    assert [p["id"] for p in listed["items"]] == [period.pk]
    out = listed["items"][0]
    assert (out["state"], out["published"], out["name"]) == ("published", True, "Tháng 1/2026")
    assert out["state_label"] == "Đã thông báo"
    assert out["counts"] == {"evaluations": len(AGENCY_A), "decided": len(AGENCY_A), "excluded": 0}
    assert out["published_at"] is not None

    items = _all_pages(api, f"/periods/{period.pk}/evaluations", limit=3)
    stored = {ev.pk: ev for ev in Evaluation.objects.filter(period=period)}
    assert sorted(i["id"] for i in items) == sorted(stored)  # each exactly once
    assert [i["id"] for i in items] == sorted(i["id"] for i in items)
    for item in items:
        ev = stored[item["id"]]
        assert item["published"] is True
        assert item["points"] == str(ev.points) and item["rating"] == ev.rating
        assert item["person_code"] == ev.person.code
        assert item["links"]["breakdown"] == f"http://testserver/evaluations/{ev.pk}/"
    staff = next(i for i in items if i["person_code"] == flow.cast.person("staff_x").code)
    assert staff["rating"] == "good" and staff["rating_label"] == "Hoàn thành tốt nhiệm vụ"

    english = api.get(f"/evaluations/{staff['id']}", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["rating_label"] == "Good"
    result = Evaluation.objects.get(pk=staff["id"]).result
    assert english["rating_by_points"] == result["rating_by_points"]
    assert english["rating_changes"] == [
        {
            "rule": c["rule"],
            "from_rating": c["from"],
            "to_rating": c["to"],
            "reason": c["reason_en"],
        }
        for c in result["rating_changes"]
    ]
    assert english["rating_changes"], "staff_x's rating was lowered from what the points give"


def test_nothing_of_a_result_shows_before_publication(decided: Flow) -> None:
    flow = decided
    api = _reader(flow.cast)
    period = flow.refresh()
    assert period.state == Period.State.DECISION
    items = api.get(f"/periods/{period.pk}/evaluations?limit=500").json()["items"]
    assert len(items) == len(AGENCY_A)
    assert {i["state"] for i in items} == {"decided"}
    for item in items:
        assert (item["published"], item["points"], item["rating"]) == (False, None, None)
        assert item["decided_at"] is None
    detail = api.get(f"/evaluations/{items[0]['id']}").json()
    assert detail["rating_changes"] == [] and detail["rating_by_points"] is None
    units = api.get(f"/periods/{period.pk}/unit-evaluations").json()["items"]
    assert units and all(u["rating"] is None and u["points"] is None for u in units)
    decisions = api.get(f"/periods/{period.pk}/decisions").json()["items"]
    assert decisions and all(d["decided"] for d in decisions)
    assert all(d["final"] is None and d["demoted"] == [] for d in decisions)

    flow.publish()
    decisions = api.get(f"/periods/{period.pk}/decisions").json()["items"]
    for out in decisions:
        group = QuotaGroup.objects.get(pk=out["id"])
        assert out["final"] == {k: int(v) for k, v in group.decision["final"].items()}
        assert [d["evaluation_id"] for d in out["demoted"]] == sorted(
            group.decision["chosen_demotions"]
        )
        assert out["members"] == group.members.count()
    units = api.get(f"/periods/{period.pk}/unit-evaluations").json()["items"]
    for out in units:
        ue = UnitEvaluation.objects.get(pk=out["id"])
        assert (out["rating"], out["published"]) == (ue.rating, True)


def test_an_etag_answers_304_until_the_period_moves(decided: Flow) -> None:
    flow = decided
    api = _reader(flow.cast)
    ev = flow.ev("staff_x")
    first = api.get(f"/evaluations/{ev.pk}")
    etag = first["ETag"]
    assert first.json()["points"] is None
    again = api.get(f"/evaluations/{ev.pk}", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    flow.publish()  # the evaluation row is unchanged, its result now shows
    fresh = api.get(f"/evaluations/{ev.pk}", HTTP_IF_NONE_MATCH=etag)
    assert fresh.status_code == 200 and fresh["ETag"] != etag
    assert fresh.json()["points"] == str(flow.ev("staff_x").points)
    period = api.get(f"/periods/{flow.period.pk}")
    assert (
        api.get(f"/periods/{flow.period.pk}", HTTP_IF_NONE_MATCH=period["ETag"]).status_code == 304
    )


def test_filters_and_year_results(decided: Flow) -> None:
    flow = decided
    flow.publish()
    api = _reader(flow.cast)
    path = f"/periods/{flow.period.pk}/evaluations"
    cast = flow.cast
    in_x = api.get(f"{path}?unit_id={cast.unit_x.pk}&subunits=true").json()["items"]
    assert {i["person_code"] for i in in_x} == {
        cast.person(n).code for n in ("head_x", "deputy_x", "staff_x", "staff_x1")
    }
    only_x = api.get(f"{path}?unit_id={cast.unit_x.pk}").json()["items"]
    assert cast.person("staff_x1").code not in {i["person_code"] for i in only_x}
    one = api.get(f"{path}?person_code={cast.person('staff_y').code}").json()["items"]
    assert [i["person_code"] for i in one] == [cast.person("staff_y").code]
    assert api.get(f"{path}?state=draft").json()["items"] == []

    missing = api.get("/year-results?year=2026")
    assert missing.status_code == 404
    assert missing.json() == {
        "detail": "Cơ quan chưa có kỳ đánh giá năm 2026.",
        "field": "year",
    }
    year = open_period(cast, kind=Period.Kind.YEAR, number=1)
    Flow(cast, flow.work, year).step("start_self_assessment")
    rows = api.get("/year-results?year=2026&limit=500").json()["items"]
    assert {r["period_id"] for r in rows} == {year.pk}
    assert len(rows) == Evaluation.objects.filter(period=year).count() > 0
    assert all(r["published"] is False for r in rows)


def test_scope_agency_and_unknown_ids_are_refused_in_vietnamese(decided: Flow) -> None:
    flow = decided
    cast = flow.cast
    ev = flow.ev("staff_x")
    tasks_only = _reader(cast, scopes=["tasks:read"])
    refused = tasks_only.get(f"/evaluations/{ev.pk}")
    assert refused.status_code == 403
    assert "evaluations:read" in refused.json()["detail"]
    assert "chưa được cấp phạm vi" in refused.json()["detail"]

    other = _reader(cast, agency=cast.agency_b)
    assert other.get("/periods").json()["count"] == 0
    for path in (
        f"/evaluations/{ev.pk}",
        f"/periods/{flow.period.pk}",
        f"/periods/{flow.period.pk}/evaluations",
        f"/periods/{flow.period.pk}/decisions",
    ):
        answer = other.get(path)
        assert answer.status_code == 404, path
        assert "Không tìm thấy" in answer.json()["detail"]
    english = other.get(f"/evaluations/{ev.pk}", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["detail"] == f"Evaluation #{ev.pk} was not found in the agency."
    unknown = _reader(cast).get("/periods?state=finished")
    assert unknown.status_code == 422 and unknown.json()["field"] == "state"


@pytest.mark.parametrize("agency", ["a", "b"])
def test_a_client_reads_what_the_agencys_auditors_read_on_the_web(
    decided: Flow, agency: str
) -> None:
    """The access matrix for clients: the API lists exactly what the web's helpers give
    the agency's auditor (agency A), and nothing of another agency (agency B)."""
    flow = decided
    flow.publish()
    cast = flow.cast
    api = _reader(cast, agency=cast.agency_a if agency == "a" else cast.agency_b)
    auditor = cast.user("auditor_a")
    web_periods = set(visible_periods(auditor).values_list("pk", flat=True))
    web_evaluations = set(
        visible_evaluations(auditor).filter(period=flow.period).values_list("pk", flat=True)
    )
    web_units = set(
        visible_unit_evaluations(auditor).filter(period=flow.period).values_list("pk", flat=True)
    )
    api_periods = {p["id"] for p in api.get("/periods").json()["items"]}
    if agency == "b":
        assert api_periods == set()
        return
    assert api_periods == web_periods
    path = f"/periods/{flow.period.pk}"
    assert {i["id"] for i in _all_pages(api, f"{path}/evaluations", limit=500)} == web_evaluations
    assert {i["id"] for i in _all_pages(api, f"{path}/unit-evaluations", limit=500)} == web_units
    # a person's own web view is narrower than an auditor's: the client reads as the auditor
    assert len(web_evaluations) > visible_evaluations(cast.user("staff_x")).count()
