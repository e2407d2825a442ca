"""The group decision page proposes only what the server accepts (issue 15, point 7): the
proposal is computed on the decision's own basis (a unit rated after the compile caps its
head), refusals name people, never ids, the unit must be rated first and says so up front,
a unit's rating has no default, and results without points are flagged before publishing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import Cast
from tests.evaluations.conftest import AGENCY_A, DECISION, Flow, make_flow, presets  # noqa: F401
from tests.web.test_evaluation_pages import login, text
from tests.work.conftest import at
from thuocdo.core.errors import ValidationFailed
from thuocdo.evaluations import services
from thuocdo.evaluations.models import Evaluation, UnitEvaluation

pytestmark = pytest.mark.usefixtures("presets")  # the decree's framework, loaded first


def rate(flow: Flow, unit: Any, rating: str) -> None:
    ue = UnitEvaluation.objects.get(period=flow.period, unit=unit)
    leader = flow.user("leader_a")
    services.unit_evaluation_give_rating(
        actor=leader, unit_evaluation=ue, rating=rating, basis="Kết quả kế hoạch", at=at(DECISION)
    )
    services.unit_evaluation_decide(actor=leader, unit_evaluation=ue, at=at(DECISION))


@pytest.fixture
def capped(cast: Cast) -> Flow:
    """Unit Y: head_y and staff_y excellent (95), two good; compiled at `start_decision`,
    then unit Y is rated good — its head may not be rated above it (Art. 20(6))."""
    flow = make_flow(cast)
    for name in AGENCY_A:
        flow.task(name)
        flow.general[name] = 15
    flow.general["head_y"] = flow.general["staff_y"] = 25
    flow.to_decision()
    rate(flow, cast.unit_x, "excellent")
    rate(flow, cast.office_x1, "excellent")
    rate(flow, cast.unit_y, "good")
    return flow


def ticked(body: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'name="demote" value="(\d+)"[^>]*checked', body)}


def offered(body: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'name="demote" value="(\d+)"', body)}


def test_the_pre_ticked_proposal_is_the_one_the_server_accepts(
    client: Client, capped: Flow
) -> None:
    flow = capped
    head_y, staff_y = flow.ev("head_y"), flow.ev("staff_y")
    # the compile ran before the unit was rated: the kept proposal still says excellent
    assert head_y.proposed["rating"] == "excellent" and staff_y.rating == "excellent"

    group = flow.group("unit:Y")
    login(client, "leader_a")
    body = text(client.get(reverse("web:ev_group", args=[group.pk])))
    # the head shown capped at the unit's rating, not offered for a demotion
    assert ticked(body) == {staff_y.pk} and head_y.pk not in offered(body)
    assert "Cần xếp loại đơn vị trước" not in body

    done = client.post(reverse("web:ev_group_decide", args=[group.pk]), {"demote": ticked(body)})
    assert done.status_code == 302, text(done)
    head_y.refresh_from_db()
    staff_y.refresh_from_db()
    assert (head_y.state, head_y.rating) == ("decided", "good")
    assert (staff_y.state, staff_y.rating) == ("decided", "good")
    assert staff_y.result["rating_changes"][-1]["rule"] == "quota:unit:Y"


def test_a_refused_demotion_names_the_person_never_an_id(client: Client, capped: Flow) -> None:
    flow = capped
    head_y = flow.ev("head_y")
    group = flow.group("unit:Y")
    with pytest.raises(ValidationFailed) as refused:
        services.group_decide(actor=flow.user("leader_a"), group=group, demote=[head_y.pk])
    name = head_y.person.full_name
    assert refused.value.message_vi.startswith(f"Không thể hạ {name}:")
    assert "Hoàn thành tốt nhiệm vụ" in refused.value.message_vi
    assert name in refused.value.message_en and "“Good”" in refused.value.message_en
    outsider = flow.ev("staff_x")
    with pytest.raises(ValidationFailed, match="không thuộc nhóm") as refused:
        services.group_decide(actor=flow.user("leader_a"), group=group, demote=[outsider.pk])
    assert outsider.person.full_name in refused.value.message_vi
    for message in (refused.value.message_vi, refused.value.message_en):
        assert not re.search(r"#\d", message)
    assert not Evaluation.objects.filter(period=flow.period, state="decided").exists()


def test_the_page_says_first_that_the_unit_must_be_rated(client: Client, cast: Cast) -> None:
    flow = make_flow(cast)
    for name in AGENCY_A:
        flow.task(name)
    flow.to_decision()
    group = flow.group("unit:Y")
    ue = UnitEvaluation.objects.get(period=flow.period, unit=cast.unit_y)
    login(client, "leader_a")
    body = text(client.get(reverse("web:ev_group", args=[group.pk])))
    notice = body.index("Cần xếp loại đơn vị trước khi quyết định nhóm")
    assert notice < body.index("members-title")  # before the members and the form
    assert cast.person("head_y").full_name in body[notice:]
    assert reverse("web:ev_unit", args=[ue.pk]) in body
    assert "Quyết định xếp loại nhóm" not in body  # no button the server would refuse

    rate(flow, cast.unit_y, "good")
    body = text(client.get(reverse("web:ev_group", args=[group.pk])))
    assert "Cần xếp loại đơn vị trước" not in body and "Quyết định xếp loại nhóm" in body


def test_a_unit_rating_has_no_default_and_must_be_chosen(client: Client, cast: Cast) -> None:
    flow = make_flow(cast)
    for name in AGENCY_A:
        flow.task(name)
    flow.to_decision()
    ue = UnitEvaluation.objects.get(period=flow.period, unit=cast.unit_x)
    login(client, "leader_a")
    body = text(client.get(reverse("web:ev_unit", args=[ue.pk])))
    select = re.search(r'<select name="rating".*?</select>', body, re.S)
    assert select is not None
    assert re.findall(r"<option[^>]*selected[^>]*>", select.group(0)) == [
        '<option value="" selected>'
    ]
    url = reverse("web:ev_unit_decide", args=[ue.pk])
    for post in ({"rating": "", "basis": "Kết quả kế hoạch"}, {"basis": "Kết quả kế hoạch"}):
        refused = client.post(url, post)
        assert refused.status_code == 400
        assert "Chọn xếp loại của đơn vị" in text(refused)
    ue.refresh_from_db()
    assert (ue.state, ue.given_rating, ue.rating) == ("draft", "", "")
    with pytest.raises(ValidationFailed, match="Chọn xếp loại của đơn vị"):
        services.unit_evaluation_give_rating(
            actor=flow.user("leader_a"), unit_evaluation=ue, rating="", basis="x"
        )


def test_results_without_points_are_flagged_before_publishing(client: Client, cast: Cast) -> None:
    flow = make_flow(cast)
    for name in AGENCY_A:
        if name != "head_y":  # no task in the month: not scored (Decree 335 allows it)
            flow.task(name)
    flow.to_decision()
    flow.rate_units()
    flow.decide_all()
    head_y = flow.ev("head_y")
    assert head_y.state == "decided" and head_y.points is None and not head_y.rating
    period = flow.refresh()
    login(client, "leader_a")
    body = text(client.get(reverse("web:ev_period", args=[period.pk])))
    warning = body.index("đã quyết định nhưng không có điểm, xếp loại")
    assert warning < body.index('value="publish"')  # before the publish button
    assert head_y.person.full_name in body[warning:]
    assert "Không được giao nhiệm vụ trong kỳ" in body[warning:]
    assert flow.ev("staff_x").person.full_name not in body[warning : body.index("</ul>", warning)]
    # warned, not refused: "not scored" is a lawful result
    step = reverse("web:ev_period_step", args=[period.pk])
    published = client.post(step, {"action": "publish", "version": period.version})
    assert published.status_code == 302
    assert flow.refresh().state == "published"
