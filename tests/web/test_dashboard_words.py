"""Issue 13, "plain words on dashboards": one unit per chart (no percentages among points in
the heatmap, leaders' percentages in a table of their own, over 100% explained), the
letters a–e explained wherever they appear, "plan completion" beside "achieved against
target" explained on the spot, and a unit ranking that names its period, counts its
people and leaves out units with too little data."""

from __future__ import annotations

import datetime as dt
import re
from fractions import Fraction
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.web.test_dashboards import act, crowd, give, html, login, today
from tests.work.conftest import Work, at, build_work
from thuocdo.org.models import Unit
from thuocdo.web import dashboards as dash
from thuocdo.work import services
from thuocdo.work.models import Task

POINTS = re.compile(r"^\d+,\d\d(/100)?$")  # 64,17 · 85,50/100 (decided)
PERCENT = re.compile(r"^\d+(,\d+)?%$")


@pytest.fixture
def work(cast: Any) -> Work:
    return build_work(cast)


def table(page: str, name: str) -> str:
    start = page.index(f'data-table="{name}"')
    return page[start : page.index("</table>", start)]


def cells(fragment: str) -> list[str]:
    """The text of every body cell (td) of a table fragment, tags stripped."""
    body = fragment[fragment.index("<tbody>") :]
    found = re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in found]


def extra_work(work: Work, owner: str, by: str) -> None:
    """One task done and one done on top of the plan: quantity (a) at 200%."""
    for extra in ("", Task.Extra.OUTSIDE_PLAN):
        task = services.task_assign(
            actor=work.cast.user(by),
            owner=work.cast.person(owner),
            title=f"Việc {extra or 'được giao'}",
            kind=Task.Kind.ARISING,
            extra=extra,
            deadline=today(),
            product_type=work.products["CV"],
            quantity=2,
            at=at(today()),
        )
        act(work, act(work, task, "submit", owner), "accept", by)


# --- one unit per chart ------------------------------------------------------------------------


def test_the_heatmap_shows_points_only_and_leaders_percent_apart(
    client: Client, work: Work
) -> None:
    extra_work(work, "head_x", by="leader_a")  # a leader: 200% of the assigned volume
    done = give(work, "staff_x")
    act(work, act(work, done, "submit", "staff_x"), "accept", "head_x")
    page = html(
        login(client, "head_x").get(reverse("web:dashboard_unit", args=[work.cast.unit_x.pk]))
    )
    heat = cells(table(page, "heatmap"))
    shown = [text for text in heat if text not in ("·", "tính khi đánh giá")]
    assert shown and all(POINTS.match(text) for text in shown), heat
    assert not any("%" in text for text in heat)
    leaders = cells(table(page, "leader-heatmap"))
    assert "200%" in leaders  # kept whole, and explained beside the table
    assert all(PERCENT.match(text) or text == "·" for text in leaders), leaders
    assert "Trên 100% là có việc làm thêm" in page
    # the head has no decided month: no row of "scored at evaluation" in the points heatmap
    assert work.cast.person("head_x").full_name not in table(page, "heatmap")


def test_a_leaders_trend_axis_makes_room_above_100_percent(client: Client, work: Work) -> None:
    extra_work(work, "head_x", by="leader_a")
    page = html(login(client, "head_x").get(reverse("web:dashboard")))
    ticks = re.findall(r'class="chart-tick"[^>]*>([^<]*)<', page)
    assert ticks == ["0%", "50%", "100%", "200%"]  # every tick in percent, 200% fits
    assert "Mọi cột đều là tỷ lệ phần trăm" in page


# --- the letters in words -----------------------------------------------------------------------


def test_the_letters_are_explained_wherever_they_appear(client: Client, work: Work) -> None:
    unit = html(
        login(client, "head_x").get(reverse("web:dashboard_unit", args=[work.cast.unit_x.pk]))
    )
    legend = unit[unit.index('data-legend="letters"') :]
    for words in ("a. Số lượng", "b. Chất lượng", "c. Tiến độ", "d. Kết quả của đơn vị"):
        assert words in legend
    assert "đ. Năng lực tổ chức triển khai" in legend and "e. Năng lực tập hợp" in legend
    assert "mất 25% phần của sản phẩm đó" in legend  # the framework's deduction, in words
    mine = html(login(Client(), "staff_x").get(reverse("web:dashboard")))
    assert "Cách đọc a, b, c" in mine and "d. Kết quả của đơn vị" not in mine
    agency = html(login(Client(), "leader_a").get(reverse("web:dashboard_agency")))
    assert "d. Kết quả của đơn vị, đ. Năng lực tổ chức triển khai, e. Năng lực" in agency


# --- plan completion beside achieved against target --------------------------------------------


@pytest.mark.now("2026-03-18 09:30")
def test_plan_completion_and_target_attainment_say_why_they_differ(
    client: Client, work: Work
) -> None:
    """Mid-March: the one planned task due so far is accepted (100%), while the month's
    items are far from their targets, have none, have no work yet or no work due."""
    head = work.cast.user("head_x")

    def item(title: str, target: Any) -> Any:
        return services.plan_item_add(
            actor=head,
            plan=work.plan,
            title=title,
            frequency="month",
            period_number=today().month,
            product_type=work.products["CV"],
            target_quantity=target,
        )

    behind, ahead = item("Văn bản tham mưu tháng này", "10"), item("Đề án của tháng", "5")
    item("Việc không có chỉ tiêu", None)
    item("Mục chưa giao việc", "3")
    work_due = [
        (behind, today() - dt.timedelta(days=3)),  # accepted: the plan's 1/1
        (behind, today().replace(day=28)),
        (ahead, today().replace(day=25)),
    ]
    for plan_item, due in work_due:
        task = services.task_assign(
            actor=head,
            owner=work.cast.person("staff_x"),
            title=plan_item.title,
            kind=Task.Kind.PLANNED,
            deadline=due,
            plan_item=plan_item,
            product_type=work.products["CV"],
            quantity=2,
            at=at(today().replace(day=1)),
        )
        if due < today():
            act(work, act(work, task, "submit", "staff_x"), "accept", "head_x")
    page = html(
        login(client, "head_x").get(reverse("web:dashboard_unit", args=[work.cast.unit_x.pk]))
    )
    plan = table(page, "plan")
    rows = dict(re.findall(r'data-state="(\w+)"><th scope="row">([^<]*)', plan))
    assert rows == {
        "measured": "Văn bản tham mưu tháng này ",
        "not_yet": "Đề án của tháng ",
        "no_target": "Việc không có chỉ tiêu ",
        "no_tasks": "Mục chưa giao việc ",
    }
    texts = cells(plan)
    assert "20%" in texts  # 2 of 10 accepted
    assert "chưa có việc nghiệm thu" in texts and "chưa có chỉ tiêu" in texts
    assert "chưa giao việc" in texts and "0%" not in texts  # no misleading zero
    assert "(1/1 nhiệm vụ theo kế hoạch đã đến hạn được nghiệm thu)" in page
    note = re.search(r'data-note="plan-vs-target">(.*?)</p>', page, re.S)
    assert note and "hoàn thành kế hoạch 100% (1/1 việc đã đến hạn)" in note.group(1)
    assert "2 mục kế hoạch còn đạt thấp" in note.group(1)  # the 20% and the not-yet one
    assert "“Đạt so với chỉ tiêu” so khối lượng đã nghiệm thu" in page


def test_no_note_when_plan_and_targets_agree(client: Client, work: Work) -> None:
    page = html(
        login(client, "head_x").get(reverse("web:dashboard_unit", args=[work.cast.unit_x.pk]))
    )
    assert 'data-note="plan-vs-target"' not in page
    assert "Chưa có nhiệm vụ theo kế hoạch nào đến hạn trong tháng" in page  # not "—"


# --- the ranking ---------------------------------------------------------------------------------


def test_working_days_and_the_month_ranked() -> None:
    assert dash.working_days(dt.date(2026, 12, 1), dt.date(2026, 12, 2)) == 2  # Tue, Wed
    assert dash.working_days(dt.date(2026, 3, 1), dt.date(2026, 3, 18)) == 13
    assert dash.working_days(dt.date(2026, 3, 7), dt.date(2026, 3, 8)) == 0  # a weekend
    assert dash.rank_period(dt.date(2026, 12, 2)) == dash.month_of(dt.date(2026, 11, 1))
    assert dash.rank_period(dt.date(2026, 3, 18)) == dash.month_of(dt.date(2026, 3, 18))
    assert dash.rank_period(dt.date(2027, 1, 4)).start == dt.date(2026, 12, 1)


def test_a_unit_is_ranked_only_on_enough_people() -> None:
    a, b, c, d = (Unit(pk=n, path=f"/1/{n}/", name=f"U{n}") for n in (2, 3, 4, 5))
    members = [
        *[(10 + i, "/1/2/", "staff") for i in range(3)],  # three scored: ranked
        (20, "/1/2/7/", "head"),  # a leader in a sub-unit: never scored live
        (30, "/1/3/", "staff"),  # one scored: thin
        *[(40 + i, "/1/4/", "staff") for i in range(8)],  # 3 of 8 scored: thin
    ]
    points = {10: 6000, 11: 5000, 12: 4000, 30: 7000, 40: 7000, 41: 7000, 42: 7000}
    parts = [
        dash.Part(path, 1, role not in dash.LEADER_ROLES, pid in points, points.get(pid, 0))
        for pid, path, role in members
    ]
    ranked, thin = dash.standings(parts, [a, b, c, d], {})
    assert [(s.unit.pk, s.scored, s.staff, s.headcount) for s in ranked] == [(2, 3, 3, 4)]
    assert ranked[0].mean == Fraction(50)
    assert [(s.unit.pk, s.thin) for s in thin] == [
        (3, "few_people"),
        (4, "low_share"),
        (5, "empty"),
    ]


@pytest.mark.now("2026-03-18 09:30")
def test_the_ranking_names_its_period_counts_people_and_sets_thin_units_apart(
    client: Client, work: Work
) -> None:
    crowd(work.cast, work.cast.unit_x, 4, 0)  # four officials scored in Vụ Xây dựng
    done = give(work, "staff_y", by="head_y")  # one in Vụ Yên Bình
    act(work, act(work, done, "submit", "staff_y"), "accept", "head_y")
    page = html(login(client, "leader_a").get(reverse("web:dashboard_agency")))
    assert "Kỳ xếp hạng: tháng 03/2026, từ 01/03 đến 18/03/2026 (13 ngày làm việc)." in page
    ranking = table(page, "ranking")
    row = re.search(rf'<tr data-unit="{work.cast.unit_x.pk}">(.*?)</tr>', ranking, re.S)
    assert row and 'data-people="4"' in row.group(1)
    assert "4 trên 6 người" in row.group(1)  # of six staff (X and office X1), leaders apart
    assert "Vụ Yên Bình" not in ranking
    thin = page[page.index('data-list="thin"') :]
    assert "Chưa đủ dữ liệu để xếp hạng" in page
    unit_y = work.cast.unit_y.pk
    entry = re.search(rf'<li data-unit="{unit_y}" data-reason="(\w+)">(.*?)</li>', thin, re.S)
    assert entry and entry.group(1) == "few_people"
    assert "1 trên 3 người có điểm; cần ít nhất 3 người có điểm." in entry.group(2)
    assert "4 người" in page  # the people counted, beside each bar of the chart


@pytest.mark.now("2026-12-02 09:30")
def test_early_in_a_month_the_ranking_covers_the_last_one(client: Client, work: Work) -> None:
    crowd(work.cast, work.cast.unit_x, 4, 0)  # work of December only
    page = html(login(client, "leader_a").get(reverse("web:dashboard_agency")))
    assert "Kỳ xếp hạng: tháng 11/2026 (cả tháng), số liệu tính đến 02/12/2026." in page
    assert "Tháng 12/2026 mới có 2 ngày làm việc (cần ít nhất 10)" in page
    assert "Chưa đơn vị nào đủ dữ liệu để xếp hạng trong kỳ này." in page  # none in November
    assert f'data-unit="{work.cast.unit_x.pk}" data-reason="few_people"' in page


@pytest.mark.now("2026-03-18 09:30")
def test_the_ranking_in_english_uses_english_words_and_a_decimal_point(
    client: Client, work: Work
) -> None:
    crowd(work.cast, work.cast.unit_x, 4, 0)
    client.cookies["thuocdo_language"] = "en"
    page = html(login(client, "leader_a").get(reverse("web:dashboard_agency")))
    assert "Ranking period: 03/2026, from 01/03 to 18/03/2026 (13 working days)." in page
    ranking = table(page, "ranking")
    assert "4 of 6 people" in ranking
    means = re.findall(r">(\d+[.,]\d\d)</a>", ranking)
    assert means and all("." in mean for mean in means)
    assert "Not enough data to rank" in page and "at least 3 people with points" in page
    unit = html(client.get(reverse("web:dashboard_unit", args=[work.cast.unit_x.pk])))
    assert "How to read a, b, c and d, đ, e" in unit and "Cách đọc" not in unit
    # the sentences with a percent sign in them too (Django looks those up with %% doubled)
    assert "can exceed 100% when there is extra work" in unit and "vượt 100%" not in unit
    assert "leaders and managers only: 100% when everyone" in unit
