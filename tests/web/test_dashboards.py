"""Dashboards (issue 6) through Django's test client: who sees which dashboard, the live
points and their links, leaders' d/đ/e left to the evaluation, accent-insensitive search,
and a fixed number of queries with 10 and with 1,000 people."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import Cast
from tests.work.conftest import Work, at, build_work
from thuocdo.core import clock
from thuocdo.core.models import User
from thuocdo.core.text import fold
from thuocdo.jobs.models import Job
from thuocdo.org.models import Assignment, Person, Unit
from thuocdo.org.services import unit_create
from thuocdo.scoring.numbers import fmt_points
from thuocdo.web.views_dashboards import MEMBERS_PER_PAGE
from thuocdo.work import live, services
from thuocdo.work.jobs import KIND as LIVE_KIND
from thuocdo.work.models import LiveMonth, Task, UnitMonth
from thuocdo.work.selectors import DateRange, live_kpi


@pytest.fixture
def work(cast: Cast) -> Work:
    return build_work(cast)


def login(client: Client, username: str) -> Client:
    client.force_login(User.objects.get(username=username))
    return client


def today() -> dt.date:
    return clock.today()


def html(response: Any) -> str:
    return str(response.content.decode())


def give(
    work: Work,
    owner: str = "staff_x",
    *,
    by: str = "head_x",
    title: str = "Soạn thảo công văn",
    deadline: dt.date | None = None,
    quantity: Any = 2,
) -> Task:
    due = deadline or today()
    return services.task_assign(
        actor=work.cast.user(by),
        owner=work.cast.person(owner),
        title=title,
        kind=Task.Kind.ARISING,
        deadline=due,
        plan_item=None,
        product_type=work.products["CV"],
        quantity=quantity,
        at=at(min(due, today())),
    )


def act(work: Work, task: Task, action: str, by: str, **kw: Any) -> Task:
    task.refresh_from_db()
    return services.task_transition(
        actor=work.cast.user(by), task=task, action=action, expected_version=task.version, **kw
    )


def kpi(page: str, key: str) -> str:
    found = re.search(rf'data-kpi="{key}"[^>]*>(.*?)</dd>', page, re.S)
    assert found, key
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


# --- My dashboard ---------------------------------------------------------------------------


# Mid-month: the overdue task (due two days ago) must fall in this month's volume.
@pytest.mark.now("2026-03-18 09:30")
def test_my_dashboard_shows_the_live_points_of_live_kpi_with_links(
    client: Client, work: Work
) -> None:
    done = give(work, title="Báo cáo đã xong")
    act(work, act(work, done, "submit", "staff_x"), "accept", "head_x")
    give(work, title="Công văn quá hạn", deadline=today() - dt.timedelta(days=2))
    page = html(login(client, "staff_x").get(reverse("web:dashboard")))
    period = DateRange.month(today().year, today().month)
    expected = live_kpi(
        person=work.cast.person("staff_x"), period=period, general_points=0, as_of=today()
    )
    node = expected.breakdown.find("task_results") if expected.breakdown else None
    assert node is not None and node.points is not None
    assert fmt_points(node.points).replace(".", ",") in kpi(page, "points")
    assert kpi(page, "a") == "50%"  # half the volume done
    assert f'href="{reverse("web:work_why")}"' in page  # every number to its breakdown
    assert "Công văn quá hạn" in page  # due and overdue, and costing points
    assert f"{reverse('web:work_mine')}?due=overdue" in page  # counts to the work list
    assert "Lịch sử xếp loại" in page


def test_a_leaders_live_points_wait_for_d_dd_e(client: Client, work: Work) -> None:
    task = give(work, "head_x", by="leader_a", title="Việc của trưởng vụ")
    act(work, act(work, task, "submit", "head_x"), "accept", "leader_a")
    response = login(client, "head_x").get(reverse("web:dashboard"))
    assert response.status_code == 200
    page = html(response)
    assert kpi(page, "a") == "100%"
    assert "tính khi đánh giá" in kpi(page, "points")
    assert "tính khi đánh giá" in kpi(page, "dd")


def test_a_head_drills_down_to_a_member_but_not_outside_the_subtree(
    client: Client, work: Work
) -> None:
    give(work, "staff_x1", title="Việc phòng một")
    staff_x1 = work.cast.person("staff_x1").pk
    page = login(client, "head_x").get(reverse("web:dashboard"), {"person": staff_x1})
    assert page.status_code == 200 and "Việc phòng một" in html(page)
    assert "Nguyễn Văn Staff X1" in html(page)
    refused = login(Client(), "head_y").get(reverse("web:dashboard"), {"person": staff_x1})
    assert refused.status_code == 403
    assert "Bạn không có quyền xem hồ sơ cán bộ này." in html(refused)


def test_a_login_without_an_official_has_no_personal_dashboard(client: Client, cast: Cast) -> None:
    page = login(client, "nobody").get(reverse("web:dashboard"))
    assert page.status_code == 403
    assert "không gắn với cán bộ nào" in html(page)


def test_rating_history_lists_decided_evaluations(client: Client, cast: Cast) -> None:
    from io import StringIO

    from django.core.management import call_command

    from tests.evaluations.conftest import make_flow

    call_command("load_presets", stdout=StringIO())
    flow = make_flow(cast)
    for name in ("head_x", "deputy_x", "staff_x", "staff_x1", "head_y", "staff_y"):
        flow.task(name)
    flow.task("personnel_a")
    flow.task("auditor_a")
    flow.to_decision()
    flow.rate_units()
    flow.decide_all()
    ev = flow.ev("staff_x")
    assert ev.points is not None
    page = html(login(client, "staff_x").get(reverse("web:dashboard")))
    assert f'id="evaluation-{ev.pk}"' in page
    assert str(ev.points).replace(".", ",") in page
    unit = html(login(Client(), "head_x").get(reverse("web:dashboard_unit", args=[cast.unit_x.pk])))
    assert "Phân bố xếp loại so với trần tỷ lệ" in unit and "trần tỷ lệ:" in unit
    agency = html(login(Client(), "leader_a").get(reverse("web:dashboard_agency")))
    assert "unit:X" in agency or "Vụ Xây dựng" in agency
    # An English page names a unit's quota group by the unit's English name.
    cast.unit_x.name_en = "Construction Department"
    cast.unit_x.save(update_fields=["name_en"])
    english = login(Client(), "leader_a")
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    groups = html(english.get(reverse("web:dashboard_agency"))).split('data-table="groups"')[1]
    assert "Construction Department" in groups and "Vụ Xây dựng" not in groups


# --- unit and agency dashboards: who ---------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "unit", "status"),
    [
        ("head_x", "unit_x", 200),
        ("deputy_x", "office_x1", 200),
        ("leader_a", "unit_y", 200),
        ("personnel_a", "unit_x", 200),
        ("staff_x", "unit_x", 403),
        ("head_y", "unit_x", 403),
        ("head_x", "unit_y", 403),
        ("head_z", "unit_x", 403),
    ],
)
def test_unit_dashboard_is_for_the_units_leaders_and_the_agency(
    client: Client, cast: Cast, username: str, unit: str, status: int
) -> None:
    target: Unit = getattr(cast, unit)
    page = login(client, username).get(reverse("web:dashboard_unit", args=[target.pk]))
    assert page.status_code == status
    if status == 403:
        assert "Bạn không có quyền xem đơn vị này." in html(page) or (
            "Bảng điều khiển đơn vị dành cho lãnh đạo đơn vị" in html(page)
        )


def test_unit_dashboard_lists_members_live_points_and_overdue_work(
    client: Client, work: Work
) -> None:
    give(work, "staff_x1", title="Việc trễ hạn của phòng", deadline=today() - dt.timedelta(days=3))
    give(work, "staff_y", by="head_y", title="Việc của vụ khác", deadline=today() - dt.timedelta(1))
    page = html(
        login(client, "head_x").get(reverse("web:dashboard_unit", args=[work.cast.unit_x.pk]))
    )
    assert "Nguyễn Văn Staff X1" in page and "Nguyễn Văn Staff Y" not in page
    assert "Việc trễ hạn của phòng" in page and "Việc của vụ khác" not in page
    assert "tính khi đánh giá" in page  # the head and the deputy
    staff_x1 = work.cast.person("staff_x1").pk
    assert f"{reverse('web:dashboard')}?person={staff_x1}#breakdown" in page
    assert 'data-table="heatmap"' in page


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("leader_a", 200),
        ("personnel_a", 200),
        ("operator", 200),
        ("head_x", 403),
        ("staff_x", 403),
        ("auditor_a", 403),
    ],
)
def test_agency_dashboard_is_for_leadership_and_personnel(
    client: Client, cast: Cast, username: str, status: int
) -> None:
    page = login(client, username).get(reverse("web:dashboard_agency"))
    assert page.status_code == status
    if status == 403:
        assert "dành cho lãnh đạo cơ quan và bộ phận tổ chức cán bộ" in html(page)


# Mid-month: the ranking covers this month (early in a month it covers the last one).
@pytest.mark.now("2026-03-18 09:30")
def test_agency_dashboard_ranks_units_and_links_down(client: Client, work: Work) -> None:
    crowd(work.cast, work.cast.unit_x, 3, 0)  # enough people scored to rank (issue 13)
    for name in ("staff_y", "personnel_a", "auditor_a"):  # each with only overdue work: 0
        give(work, name, by="head_y", deadline=today() - dt.timedelta(days=1))
    page = html(login(client, "leader_a").get(reverse("web:dashboard_agency")))
    start = page.index('data-table="ranking"')
    ranking = page[start : page.index("</table>", start)]
    assert ranking.index("Vụ Xây dựng") < ranking.index("Vụ Yên Bình")  # above 0 before 0
    assert reverse("web:dashboard_unit", args=[work.cast.unit_x.pk]) in page
    assert "Sở Thử nghiệm B" not in page and "Phòng Zét" not in page


# --- search ------------------------------------------------------------------------------------


def test_search_is_accent_insensitive_and_scoped(client: Client, work: Work) -> None:
    give(work, title="Thẩm định đề án Đổi mới")
    page = html(login(client, "leader_a").get(reverse("web:search"), {"q": "nguyen van staff x1"}))
    assert "Nguyễn Văn Staff X1" in page
    page = html(login(Client(), "leader_a").get(reverse("web:search"), {"q": "vu xay dung"}))
    assert 'data-results="units"' in page and "Vụ Xây dựng" in page
    page = html(login(Client(), "leader_a").get(reverse("web:search"), {"q": "THAM DINH doi moi"}))
    assert "Thẩm định đề án Đổi mới" in page
    other = html(login(Client(), "leader_a").get(reverse("web:search"), {"q": "staff z"}))
    assert "Nguyễn Văn Staff Z" not in other  # another agency
    mine = html(login(Client(), "staff_y").get(reverse("web:search"), {"q": "doi moi"}))
    assert "Thẩm định đề án Đổi mới" not in mine  # not their task


def test_task_search_reads_a_folded_title_kept_with_every_edit(client: Client, work: Work) -> None:
    task = give(work, title="Rà soát quy chế")
    assert task.search_title == "ra soat quy che"
    services.task_update(
        actor=work.cast.user("head_x"),
        task=task,
        expected_version=task.version,
        title="Sửa đổi Quy chế chi tiêu nội bộ",
        reason="Đổi tên",
    )
    task.refresh_from_db()
    assert task.search_title == "sua doi quy che chi tieu noi bo"
    found = html(login(client, "leader_a").get(reverse("web:search"), {"q": "chi tieu NOI BO"}))
    assert "Sửa đổi Quy chế chi tiêu nội bộ" in found
    gone = html(login(Client(), "leader_a").get(reverse("web:search"), {"q": "ra soat"}))
    assert "Rà soát quy chế" not in gone  # the old title no longer matches


def test_header_has_the_search_box_and_dashboard_links(client: Client, cast: Cast) -> None:
    page = html(login(client, "leader_a").get(reverse("web:home")))
    assert f'action="{reverse("web:search")}"' in page
    assert reverse("web:dashboard") in page and reverse("web:dashboard_agency") in page


# --- a fixed number of queries ---------------------------------------------------------------


def crowd(cast: Cast, unit: Unit, count: int, start: int) -> None:
    """`count` officials in `unit`, each with an accepted, a returned-late and an overdue task."""
    day = today()
    people = Person.objects.bulk_create(
        Person(
            agency=cast.agency_a,
            code=f"Q{start + i:05d}",
            full_name=f"Trần Thị Số {start + i}",
            search_name=fold(f"Trần Thị Số {start + i}"),
            category=Person.Category.CIVIL_SERVANT,
        )
        for i in range(count)
    )
    Assignment.objects.bulk_create(
        Assignment(person=p, unit=unit, role=Assignment.Role.STAFF, start_date=dt.date(2025, 1, 1))
        for p in people
    )
    head = cast.person("leader_a")
    common = {
        "agency": cast.agency_a,
        "unit": unit,
        "kind": Task.Kind.ARISING,
        "assigner": head,
        "quantity": Decimal(2),
        "coefficient": Decimal("1.5"),
        "assigned_on": day.replace(day=1),
    }
    tasks = []
    for p in people:
        tasks.append(
            Task(
                owner=p,
                title="Báo cáo tháng",
                deadline=day,
                effective_deadline=day,
                state=Task.State.ACCEPTED,
                done_quantity=Decimal(2),
                completed_on=day,
                **common,
            )
        )
        tasks.append(
            Task(
                owner=p,
                title="Đề án bị trả lại",
                deadline=day.replace(day=1),
                effective_deadline=day.replace(day=1),
                state=Task.State.ACCEPTED,
                done_quantity=Decimal(1),
                completed_on=day,
                failures=1,
                delays=1,
                **common,
            )
        )
        tasks.append(
            Task(
                owner=p,
                title="Công văn quá hạn",
                deadline=day - dt.timedelta(days=1),
                effective_deadline=day - dt.timedelta(days=1),
                state=Task.State.ASSIGNED,
                **common,
            )
        )
    for task in tasks:  # bulk_create skips Task.save()
        task.search_title = fold(task.title)
    Task.objects.bulk_create(tasks)


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def query_counts(client: Client, urls: list[str], *, cold: bool) -> dict[str, int]:
    """Queries per page: warm (its kept live points fresh) or cold (none kept: the agency
    page then queues its refresh, which the tests' queue runs at once, in the request)."""
    counts = {}
    for url in urls:
        if cold:
            LiveMonth.objects.all().delete()
            UnitMonth.objects.all().delete()
        else:
            client.get(url)
        counts[url] = count_queries(client, url)
    return counts


def test_dashboards_issue_the_same_number_of_queries_for_10_and_1000_people(
    client: Client, work: Work
) -> None:
    cast = work.cast
    unit = unit_create(actor=None, parent=cast.agency_a, code="L", name="Vụ Lớn")
    crowd(cast, unit, 10, 0)
    first = Person.objects.get(code="Q00000").pk
    urls = [
        reverse("web:dashboard_unit", args=[unit.pk]),
        reverse("web:dashboard_agency"),
        f"{reverse('web:dashboard')}?person={first}",
        reverse("web:dashboard"),
        f"{reverse('web:search')}?q=tran thi so 1",
    ]
    login(client, "leader_a")
    for url in urls:
        client.get(url)  # warm caches (framework preset, sessions)
    small = query_counts(client, urls, cold=False)
    small_cold = query_counts(client, urls, cold=True)
    crowd(cast, unit, 990, 10)
    big = query_counts(client, urls, cold=False)
    big_cold = query_counts(client, urls, cold=True)
    assert big == small
    assert big_cold == small_cold  # refreshing every kept row: still a fixed count
    kept_rows = urls[:2]  # the unit and agency pages: their rates from kept unit rows
    assert all(small_cold[url] > small[url] for url in kept_rows)  # …the cold path did run
    # Cold, those two queue the refresh job, which the tests' queue runs inside the
    # request (a worker, in production): not the page's cost.
    assert max(n for url, n in small_cold.items() if url not in kept_rows) < 40
    assert small[urls[1]] < 25
    assert small[urls[0]] < 40
    page = html(client.get(reverse("web:dashboard_unit", args=[unit.pk])))
    assert page.count("<tr data-person=") == MEMBERS_PER_PAGE  # the members' table: a page
    assert "Trang 1/20" in page  # 1,000 members, 50 a page


# --- the unit dashboard at size: kept rates, members sorted by the database -------------------


def rates_row(page: str, label: str) -> str:
    table = page.split('data-table="rates"')[1].split("</table>")[0]
    found = re.search(rf"{label}</th><td[^>]*>(.*?)</td>", table, re.S)
    assert found, label
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found.group(1))).strip()


@pytest.mark.now("2026-03-18 09:30")
def test_the_unit_dashboard_reads_its_months_rates_from_the_kept_unit_rows(
    client: Client, work: Work
) -> None:
    unit = unit_create(actor=None, parent=work.cast.agency_a, code="K", name="Vụ Kế hoạch")
    crowd(work.cast, unit, 4, 0)  # per person: one on time, one returned late, one overdue
    url = reverse("web:dashboard_unit", args=[unit.pk])
    login(client, "leader_a")
    page = html(client.get(url))  # nothing kept: the refresh runs (the tests' queue: at once)
    kept = UnitMonth.objects.get(unit=unit, month=today().replace(day=1))
    stamp = clock.local(kept.computed_at).strftime("%H:%M %d/%m/%Y")
    assert f"Các tỷ lệ trên được tính lúc {stamp}" in page
    assert (kept.counted, kept.on_time, kept.returned) == (12, 4, 4)
    assert rates_row(page, "Đúng hạn") == "33,33% (4/12)"
    assert rates_row(page, "Bị trả lại vì lỗi lớn") == "4"
    # Written after the rows were computed: the rates wait for the next refresh, which a
    # view queues once the rows are older than BOARD_MAX_AGE (the page says so).
    give(work, "staff_x", title="Việc mới")  # in another unit: no effect here anyway
    Task.objects.filter(unit=unit, failures=1).update(failures=0)
    assert rates_row(html(client.get(url)), "Bị trả lại vì lỗi lớn") == "4"
    UnitMonth.objects.filter(agency=work.cast.agency_a).update(
        computed_at=kept.computed_at - dt.timedelta(minutes=11)
    )
    live.touch(list(Task.objects.filter(unit=unit).values_list("owner_id", flat=True)))
    assert rates_row(html(client.get(url)), "Bị trả lại vì lỗi lớn") == "0"


def test_the_unit_dashboard_counts_from_the_tasks_until_rows_are_first_kept(
    client: Client, work: Work, settings: Any
) -> None:
    """With the real queue (workers elsewhere) and nothing kept yet, the page's rates come
    from the tasks, with no "computed at" line; one refresh is queued, no row filled."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    unit = unit_create(actor=None, parent=work.cast.agency_a, code="K", name="Vụ Kế hoạch")
    crowd(work.cast, unit, 2, 0)
    login(client, "leader_a")
    for _ in range(2):
        page = html(client.get(reverse("web:dashboard_unit", args=[unit.pk])))
        assert "Các tỷ lệ trên được tính lúc" not in page
        assert rates_row(page, "Bị trả lại vì lỗi lớn") == "2"
    assert Job.objects.filter(kind=LIVE_KIND, state=Job.State.QUEUED).count() == 1
    assert not UnitMonth.objects.exists()


def test_the_unit_dashboard_lists_members_in_tree_role_and_name_order(
    client: Client, work: Work
) -> None:
    """Sorted by the database as Python sorts: the unit's own first, then each unit below
    in path order; heads before staff; names by code point, whatever the server's locale
    (which would read "Lê An" after "Lea", skipping the space)."""
    cast = work.cast
    unit = unit_create(actor=None, parent=cast.agency_a, code="K", name="Vụ Kế hoạch")
    office = unit_create(actor=None, parent=unit, code="K1", name="Phòng Một")
    start = dt.date(2025, 1, 1)
    names = {"Lea Văn": (unit, "staff"), "Lê An": (unit, "staff"), "Ân Thị": (office, "staff")}
    names |= {"Vũ Văn Trưởng": (unit, "head"), "Bùi Phó": (office, "deputy")}
    for i, (name, (where, role)) in enumerate(names.items()):
        person = Person.objects.create(
            agency=cast.agency_a, code=f"M{i}", full_name=name, search_name=fold(name)
        )
        Assignment.objects.create(person=person, unit=where, role=role, start_date=start)
    page = html(login(client, "leader_a").get(reverse("web:dashboard_unit", args=[unit.pk])))
    table = page.split('data-table="members"')[1].split("</table>")[0]
    listed = re.findall(r'<tr data-person="\d+"><th scope="row"><a [^>]*>([^<]+)</a>', table)
    assert listed == ["Vũ Văn Trưởng", "Lê An", "Lea Văn", "Bùi Phó", "Ân Thị"]
