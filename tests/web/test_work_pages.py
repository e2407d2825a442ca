"""Work pages through Django's test client: who sees what, filters, stale and refused
writes, and the live KPI on My work."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import Cast
from tests.work.conftest import Work, build_work
from thuocdo.core import clock
from thuocdo.core.models import User
from thuocdo.scoring.numbers import fmt_percent, fmt_points
from thuocdo.work import services
from thuocdo.work.models import Exemption, Task
from thuocdo.work.selectors import DateRange, live_kpi


@pytest.fixture
def work(cast: Cast) -> Work:
    return build_work(cast)


def login(client: Client, username: str) -> Client:
    client.force_login(User.objects.get(username=username))
    return client


def today() -> dt.date:
    return clock.today()


def give(
    work: Work,
    owner: str = "staff_x",
    *,
    by: str = "head_x",
    title: str = "Soạn thảo công văn",
    deadline: dt.date | None = None,
    kind: str = Task.Kind.ARISING,
    product: str | None = "CV",
    quantity: Any = 2,
) -> Task:
    """A task assigned now (the live KPI reads the current month)."""
    return services.task_assign(
        actor=work.cast.user(by),
        owner=work.cast.person(owner),
        title=title,
        kind=kind,
        deadline=deadline or today(),
        plan_item=work.item if kind == Task.Kind.PLANNED else None,
        product_type=work.products[product] if product else None,
        quantity=quantity,
    )


def act(client: Client, task: Task, action: str, **data: Any) -> Any:
    task.refresh_from_db()
    payload = {"action": action, "version": task.version, **data}
    return client.post(reverse("web:work_task_act", args=[task.pk]), payload)


def html(response: Any) -> str:
    return str(response.content.decode())


# --- who sees which page ------------------------------------------------------------------------


def test_my_work_lists_the_officials_own_tasks_only(client: Client, work: Work) -> None:
    mine = give(work, title="Báo cáo của tôi")
    give(work, "staff_x1", title="Việc của đồng nghiệp")
    page = login(client, "staff_x").get(reverse("web:work_mine"))
    assert page.status_code == 200
    assert "Báo cáo của tôi" in html(page) and "Việc của đồng nghiệp" not in html(page)
    assert reverse("web:work_task", args=[mine.pk]) in html(page)
    assert "Việc của tôi" in html(page) and "Giao việc" not in html(page)  # no leader menu


@pytest.mark.parametrize(
    ("username", "url_name", "message"),
    [
        ("nobody", "web:work_mine", "không gắn với cán bộ nào"),
        ("operator", "web:work_why", "không gắn với cán bộ nào"),
        ("staff_x", "web:work_assign", "Giao việc dành cho lãnh đạo đơn vị."),
        ("staff_x", "web:work_board", "Bảng công việc dành cho lãnh đạo đơn vị."),
        ("staff_x", "web:work_review", "dành cho lãnh đạo đơn vị và người giao việc"),
        ("auditor_a", "web:work_board", "Bảng công việc dành cho lãnh đạo đơn vị."),
    ],
)
def test_pages_refuse_the_wrong_roles_with_a_message(
    client: Client, cast: Cast, username: str, url_name: str, message: str
) -> None:
    page = login(client, username).get(reverse(url_name))
    assert page.status_code == 403
    assert message in html(page)


@pytest.mark.parametrize("url_name", ["web:work_assign", "web:work_board", "web:work_review"])
def test_leader_pages_render_for_a_unit_head(client: Client, work: Work, url_name: str) -> None:
    give(work)
    page = login(client, "head_x").get(reverse(url_name))
    assert page.status_code == 200
    assert "Chờ duyệt" in html(page)  # the leader's menu


def test_anonymous_visitors_go_to_login(client: Client) -> None:
    page = client.get(reverse("web:work_mine"))
    assert page.status_code == 302 and reverse("web:login") in page.url


def test_an_unknown_task_is_a_404_page_with_the_message(client: Client, cast: Cast) -> None:
    page = login(client, "staff_x").get(reverse("web:work_task", args=[999999]))
    assert page.status_code == 404
    assert "Không tìm thấy nhiệm vụ #999999." in html(page)


def test_another_agencys_task_is_refused(client: Client, work: Work) -> None:
    task = give(work)
    page = login(client, "staff_z").get(reverse("web:work_task", args=[task.pk]))
    assert page.status_code == 403
    assert "Bạn không có quyền xem nhiệm vụ này." in html(page)
    post = act(client, task, "start")
    assert post.status_code == 403
    task.refresh_from_db()
    assert task.state == Task.State.ASSIGNED


def test_the_board_shows_the_subtree_but_not_other_units(client: Client, work: Work) -> None:
    give(work, "staff_x1", title="Việc ở phòng X1")
    give(work, "staff_y", by="head_y", title="Việc của Vụ Y")
    late = give(work, "staff_x", title="Việc quá hạn")
    Task.objects.filter(pk=late.pk).update(
        deadline=today() - dt.timedelta(days=3), effective_deadline=today() - dt.timedelta(days=3)
    )
    login(client, "head_x")
    columns = html(client.get(reverse("web:work_board")))
    assert "Việc ở phòng X1" in columns and "Việc của Vụ Y" not in columns
    assert "Quá hạn 3 ngày" in columns and "is-overdue" in columns
    table = html(client.get(reverse("web:work_board"), {"view": "table", "due": "overdue"}))
    assert "Việc quá hạn" in table and "Việc ở phòng X1" not in table
    counts = html(client.get(reverse("web:work_board"), {"owner": work.cast.person("staff_x1").pk}))
    assert "Việc ở phòng X1" in counts and "Việc quá hạn" not in counts


def test_the_board_counts_tasks_per_person(client: Client, work: Work) -> None:
    give(work, title="Một")
    give(work, title="Hai")
    give(work, "staff_x1", title="Ba")
    page = html(login(client, "head_x").get(reverse("web:work_board")))
    rows = re.findall(
        r"<tr[^>]*><td><a href=\"\?owner=\d+[^>]*>([^<]+)</a></td><td class=\"num\"[^>]*>(\d+)",
        page,
    )
    assert dict(rows) == {"Nguyễn Văn Staff X": "2", "Nguyễn Văn Staff X1": "1"}


# --- filters --------------------------------------------------------------------------------


def test_my_work_filters_by_state_kind_due_and_accent_free_title(
    client: Client, work: Work
) -> None:
    give(work, title="Soạn thảo Đề án đổi mới", deadline=today() + dt.timedelta(days=40))
    planned = give(work, title="Báo cáo tháng", kind=Task.Kind.PLANNED)
    late = give(work, title="Tổng hợp ý kiến")
    Task.objects.filter(pk=late.pk).update(
        deadline=today() - dt.timedelta(days=1), effective_deadline=today() - dt.timedelta(days=1)
    )
    services.task_transition(
        actor=work.cast.user("staff_x"),
        task=planned,
        action="start",
        expected_version=planned.version,
    )
    login(client, "staff_x")

    def titles(**query: str) -> set[str]:
        page = html(client.get(reverse("web:work_mine"), query))
        body = page.split("<tbody>")[1].split("</tbody>")[0]
        return set(re.findall(r'<a href="/work/tasks/\d+/">([^<]+)</a>', body))

    everything = {"Soạn thảo Đề án đổi mới", "Báo cáo tháng", "Tổng hợp ý kiến"}
    assert titles() == everything
    assert titles(q="de an doi moi") == {"Soạn thảo Đề án đổi mới"}
    assert titles(q="ĐỀ ÁN") == {"Soạn thảo Đề án đổi mới"}
    assert titles(state="in_progress") == {"Báo cáo tháng"}
    assert titles(state="open") == everything
    assert titles(kind="planned") == {"Báo cáo tháng"}
    assert titles(due="overdue") == {"Tổng hợp ý kiến"}
    week = titles(due="week")
    assert "Soạn thảo Đề án đổi mới" not in week and "Tổng hợp ý kiến" not in week
    page = html(client.get(reverse("web:work_mine")))
    assert "Quá hạn 1 ngày" in page and "Đến hạn hôm nay" in page


# --- writes: quick status change, stale and refused ------------------------------------------


def test_a_quick_start_changes_the_state_and_returns_to_the_list(
    client: Client, work: Work
) -> None:
    task = give(work)
    login(client, "staff_x")
    back = reverse("web:work_mine") + "?state=open"
    response = act(client, task, "start", next=back)
    assert response.status_code == 302 and response.url == back
    task.refresh_from_db()
    assert task.state == Task.State.IN_PROGRESS and task.version == 2
    page = html(client.get(back))
    assert "Đã bắt đầu thực hiện" in page and "Đang thực hiện" in page


def test_an_outside_next_url_is_ignored(client: Client, work: Work) -> None:
    task = give(work)
    response = act(login(client, "staff_x"), task, "start", next="https://example.com/")
    assert response.url == reverse("web:work_task", args=[task.pk])


def test_a_stale_form_is_refused_and_changes_nothing(client: Client, work: Work) -> None:
    task = give(work)
    login(client, "staff_x")
    stale = task.version
    assert act(client, task, "start").status_code == 302
    task.refresh_from_db()
    before = (task.state, task.version, task.events.count())
    response = client.post(
        reverse("web:work_task_act", args=[task.pk]),
        {"action": "hand_back", "version": stale, "reason": "Không đủ thời gian"},
    )
    assert response.status_code == 409
    assert "người khác thay đổi" in html(response)
    assert "dữ liệu không thay đổi" in html(response)
    task.refresh_from_db()
    assert (task.state, task.version, task.events.count()) == before
    # The page now carries the current version, as a reload would.
    assert f'name="version" value="{task.version}"' in html(response)


def test_a_forbidden_step_shows_the_services_message_and_changes_nothing(
    client: Client, work: Work
) -> None:
    task = give(work)
    login(client, "staff_x")
    act(client, task, "submit")
    response = act(client, task, "accept")  # the owner may not accept their own work
    assert response.status_code == 403
    assert (
        "Chỉ người giao việc hoặc lãnh đạo đơn vị của người thực hiện mới được nghiệm thu."
        in html(response)
    )
    task.refresh_from_db()
    assert task.state == Task.State.SUBMITTED and task.done_quantity is None


def test_a_step_the_state_does_not_allow_names_the_state(client: Client, work: Work) -> None:
    task = give(work)
    response = act(login(client, "head_x"), task, "accept")
    assert response.status_code == 409
    assert "Không thể “nghiệm thu” khi nhiệm vụ đang ở trạng thái “Đã giao”" in html(response)
    task.refresh_from_db()
    assert task.state == Task.State.ASSIGNED


def test_a_return_needs_a_reason(client: Client, work: Work) -> None:
    task = give(work)
    act(login(client, "staff_x"), task, "submit")
    login(client, "head_x")
    response = act(client, task, "return", reason="  ")
    assert response.status_code == 400
    assert "Cần nêu lý do khi trả lại vì lỗi lớn." in html(response)
    task.refresh_from_db()
    assert task.state == Task.State.SUBMITTED and task.failures == 0


def test_the_review_queue_accepts_and_returns(client: Client, work: Work) -> None:
    first = give(work, title="Sản phẩm một", quantity=4)
    second = give(work, title="Sản phẩm hai")
    give(work, "staff_y", by="head_y", title="Sản phẩm Vụ Y")
    login(client, "staff_x")
    act(client, first, "submit", done_quantity="3", reason="đã xong phần chính")
    act(client, second, "submit")
    login(client, "head_x")
    queue = html(client.get(reverse("web:work_review")))
    assert "Sản phẩm một" in queue and "Sản phẩm hai" in queue and "Sản phẩm Vụ Y" not in queue
    assert "Khối lượng đã thực hiện: 3" in queue and "đã xong phần chính" in queue
    here = reverse("web:work_review")
    assert act(client, first, "accept", done_quantity="3", next=here).url == here
    assert act(client, second, "return", reason="Sai số liệu", next=here).url == here
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, first.done_quantity) == (Task.State.ACCEPTED, 3)
    assert (second.state, second.failures) == (Task.State.RETURNED, 1)
    client.get(here)  # shows (and clears) the success messages
    assert "Sản phẩm một" not in html(client.get(here))


def test_exemptions_are_requested_on_the_task_and_decided_in_the_queue(
    client: Client, work: Work
) -> None:
    task = give(work)
    login(client, "staff_x")
    act(client, task, "submit")
    login(client, "head_x")
    act(client, task, "return", reason="Thiếu phụ lục")
    event = task.events.get(action="return")
    login(client, "staff_x")
    detail = html(client.get(reverse("web:work_task", args=[task.pk])))
    assert "Đề nghị miễn trừ" in detail
    response = client.post(
        reverse("web:work_exemption_request", args=[task.pk]),
        {"event": event.pk, "reason": "Số liệu nguồn bị chậm do mất điện diện rộng"},
    )
    assert response.status_code == 302
    exemption = Exemption.objects.get(task=task)
    login(client, "head_x")
    queue = html(client.get(reverse("web:work_review")))
    assert "mất điện diện rộng" in queue
    task.refresh_from_db()
    response = client.post(
        reverse("web:work_exemption_decide", args=[exemption.pk]),
        {"version": task.version, "decision": "approve", "reason": "Đã xác minh"},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    exemption.refresh_from_db()
    assert exemption.status == Exemption.Status.APPROVED and task.exempt_failures == 1
    # The owner cannot decide: the service's message, nothing changed.
    other = give(work, title="Khác")
    act(login(client, "staff_x"), other, "submit")
    login(client, "head_x")
    act(client, other, "return", reason="Sai")
    pending = services.exemption_request(
        actor=work.cast.user("staff_x"), event=other.events.get(action="return"), reason="Lý do"
    )
    other.refresh_from_db()
    response = login(client, "staff_x").post(
        reverse("web:work_exemption_decide", args=[pending.pk]),
        {"version": other.version, "decision": "approve", "reason": "Tự duyệt"},
    )
    assert response.status_code == 403
    assert "Chỉ lãnh đạo đơn vị của người thực hiện mới được xét miễn trừ." in html(response)
    pending.refresh_from_db()
    assert pending.status == Exemption.Status.PENDING


# --- assigning ---------------------------------------------------------------------------------


def test_a_head_assigns_a_task_from_the_form(client: Client, work: Work) -> None:
    login(client, "head_x")
    form = html(client.get(reverse("web:work_assign")))
    assert "Nguyễn Văn Staff X1" in form and "Nguyễn Văn Staff Y" not in form
    assert "Công văn" in form and "×0,5" in form
    deadline = today() + dt.timedelta(days=7)
    data = {
        "owner": work.cast.person("staff_x").pk,
        "title": "Thẩm định dự thảo",
        "kind": "arising",
        "product_type": work.products["TD"].pk,
        "quantity": "3",
        "deadline": deadline.strftime("%d/%m/%Y"),
        "collaborators": [work.cast.person("staff_x1").pk],
        "description": "Gấp",
    }
    response = client.post(reverse("web:work_assign"), data)
    task = Task.objects.get(title="Thẩm định dự thảo")
    assert response.status_code == 302
    assert response.url == reverse("web:work_task", args=[task.pk])
    assert (task.owner, task.coefficient, task.quantity) == (work.cast.person("staff_x"), 1, 3)
    assert list(task.collaborators.all()) == [work.cast.person("staff_x1")]


def test_a_planned_task_without_a_plan_item_gets_the_services_message(
    client: Client, work: Work
) -> None:
    login(client, "head_x")
    data = {
        "owner": work.cast.person("staff_x").pk,
        "title": "Việc theo kế hoạch",
        "kind": "planned",
        "quantity": "1",
        "deadline": today().isoformat(),
    }
    response = client.post(reverse("web:work_assign"), data)
    assert response.status_code == 400
    assert "Nhiệm vụ theo kế hoạch phải gắn với một nội dung của kế hoạch." in html(response)
    assert not Task.objects.filter(title="Việc theo kế hoạch").exists()


# --- the task page ----------------------------------------------------------------------------


def test_the_task_page_shows_facts_history_audit_and_the_viewers_steps(
    client: Client, work: Work
) -> None:
    task = give(work, quantity=3, product="BC")
    login(client, "staff_x")
    act(client, task, "submit")
    services.task_explain(actor=work.cast.user("staff_x"), task=task, text="Đã gửi bản mềm")
    owner_view = html(client.get(reverse("web:work_task", args=[task.pk])))
    assert "w = số lượng × hệ số" in owner_view and "<strong>6</strong>" in owner_view
    assert today().strftime("%d/%m/%Y") in owner_view
    assert "Nộp sản phẩm" in owner_view and "Đã gửi bản mềm" in owner_view
    assert 'value="accept"' not in owner_view  # not the owner's step
    head_view = html(login(client, "head_x").get(reverse("web:work_task", args=[task.pk])))
    assert 'value="accept"' in head_view and 'value="return"' in head_view
    assert 'value="cancel"' in head_view and "Gia hạn" in head_view
    # the audit entries, in words, never as codes (issue 13)
    assert "Nhiệm vụ: nộp sản phẩm" in head_view and "work.task.submit" not in head_view


def test_the_owner_explains_and_the_reviewer_extends(client: Client, work: Work) -> None:
    task = give(work)
    login(client, "staff_x")
    response = client.post(
        reverse("web:work_task_explain", args=[task.pk]), {"text": "Chờ số liệu"}
    )
    assert response.status_code == 302 and task.explanations.get().text == "Chờ số liệu"
    new = today() + dt.timedelta(days=10)
    login(client, "head_x")
    response = client.post(
        reverse("web:work_task_extend", args=[task.pk]),
        {"version": task.version, "new_deadline": new.isoformat(), "reason": "Chờ số liệu"},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.effective_deadline == new and task.deadline == today()
    stale = client.post(
        reverse("web:work_task_extend", args=[task.pk]),
        {"version": 1, "new_deadline": (new + dt.timedelta(days=1)).isoformat(), "reason": "x"},
    )
    assert stale.status_code == 409
    task.refresh_from_db()
    assert task.effective_deadline == new


# --- the live KPI ------------------------------------------------------------------------------


def figures(page: str) -> dict[str, str]:
    return dict(re.findall(r'<dd data-kpi="(\w+)">([^<]+?)(?: / \d+)?</dd>', page))


def expected(work: Work, name: str = "staff_x") -> dict[str, str]:
    result = live_kpi(
        person=work.cast.person(name),
        period=DateRange.month(today().year, today().month),
        general_points=0,
        as_of=today(),
    )
    assert result.breakdown is not None
    node = result.breakdown.find("task_results")
    assert node is not None and node.points is not None
    out = {"points": fmt_points(node.points).replace(".", ",")}
    for key in ("a", "b", "c"):
        part = node.find(key)
        assert part is not None and part.ratio is not None
        out[key] = fmt_percent(part.ratio).replace(".", ",")
    return out


def test_the_live_kpi_equals_live_kpi_and_follows_each_step(client: Client, work: Work) -> None:
    task = give(work, quantity=2)
    other = give(work, title="Việc thứ hai", product="BC", quantity=1)
    login(client, "staff_x")
    first = figures(html(client.get(reverse("web:work_mine"))))
    assert first == expected(work) == {"a": "0%", "b": "0%", "c": "0%", "points": "0,00"}

    act(client, task, "submit")
    act(login(client, "head_x"), task, "return", reason="Sai số liệu")
    act(login(client, "staff_x"), task, "resubmit")
    act(login(client, "head_x"), task, "accept")
    page = html(login(client, "staff_x").get(reverse("web:work_mine")))
    after = figures(page)
    assert after == expected(work)
    # w: 2 × 0,5 = 1 accepted with one failure, 1 × 2 = 2 still open: a = 1/3, b = 0,75/3.
    assert (after["a"], after["b"], after["c"]) == ("33,33%", "25%", "33,33%")
    assert "a. Số lượng" in page and "b. Chất lượng" in page and "c. Tiến độ" in page
    assert page.index('data-kpi="b"') < page.index('data-kpi="c"')
    assert "<details open>" in page and "Vì sao?" in page

    act(client, other, "submit")
    act(login(client, "head_x"), other, "accept")
    final = figures(html(login(client, "staff_x").get(reverse("web:work_mine"))))
    assert final == expected(work) and final["a"] == "100%" and final["b"] == "91,67%"


def test_the_why_page_lists_each_tasks_share(client: Client, work: Work) -> None:
    task = give(work, title="Báo cáo chuyên đề", product="BC", quantity=2)
    act(login(client, "staff_x"), task, "submit")
    act(login(client, "head_x"), task, "accept")
    login(client, "staff_x").get(reverse("web:work_mine"))  # shows the messages
    page = html(client.get(reverse("web:work_why")))
    assert page.count("Báo cáo chuyên đề") == 1 and '<td class="num">4</td>' in page
    assert "Kết quả thực hiện nhiệm vụ: 70,00 / 70 điểm" in page


def test_a_leader_without_d_e_components_sees_what_is_missing(client: Client, work: Work) -> None:
    give(work, "head_x", by="leader_a")
    page = html(login(client, "head_x").get(reverse("web:work_mine")))
    assert "Chưa tính được điểm tạm tính" in page and "Thiếu thành phần d." in page


def test_an_official_without_work_this_month_is_told_so(client: Client, work: Work) -> None:
    page = html(login(client, "staff_y").get(reverse("web:work_mine")))
    assert "Không được giao nhiệm vụ trong kỳ" in page


def test_my_work_takes_the_same_number_of_queries_for_5_and_50_tasks(
    client: Client, work: Work, django_assert_max_num_queries: Any
) -> None:
    services.task_assign(
        actor=work.cast.user("head_x"),
        owner=work.cast.person("staff_x1"),
        title="Phối hợp",
        kind=Task.Kind.ARISING,
        deadline=today(),
        collaborators=[work.cast.person("staff_x")],
    )
    login(client, "staff_x")
    counts = []
    for total in (5, 50):
        for index in range(Task.objects.filter(owner__user__username="staff_x").count(), total):
            task = give(work, title=f"Nhiệm vụ {index}", quantity=1 + index % 3)
            if index % 2:
                act(client, task, "start")
        client.get(reverse("web:work_mine"))  # warm the session and the framework cache
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("web:work_mine"), {"q": "nhiem vu"})
        assert page.status_code == 200 and html(page).count('data-task="') == total
        counts.append(len(queries))
        with django_assert_max_num_queries(16):
            client.get(reverse("web:work_mine"), {"q": "nhiem vu", "state": "open"})
    assert counts[0] == counts[1], counts
