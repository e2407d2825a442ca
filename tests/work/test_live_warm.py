"""Warming the kept live points ahead of the dashboards: `live.warm`, its job, the
`refresh_live` command, and the agency dashboard's "refreshed at" line and button."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tests.conftest import Cast
from tests.work.conftest import Work, build_work
from thuocdo.core import clock
from thuocdo.core.models import User
from thuocdo.jobs.models import Job
from thuocdo.org.models import Assignment
from thuocdo.org.selectors import current
from thuocdo.work import live
from thuocdo.work.jobs import KIND, last_refresh, start_live_refresh
from thuocdo.work.models import LiveMonth, UnitMonth


@pytest.fixture
def work(cast: Cast) -> Work:
    return build_work(cast)


def members(cast: Cast) -> list[int]:
    return sorted(
        set(
            Assignment.objects.filter(
                current(clock.today()), is_concurrent=False, unit__agency=cast.agency_a
            ).values_list("person_id", flat=True)
        )
    )


def test_warm_keeps_every_member_and_month_then_finds_nothing_stale(work: Work) -> None:
    cast = work.cast
    people = members(cast)
    months = live.months_back(clock.today())
    assert not LiveMonth.objects.exists()
    stale = live.warm(cast.agency_a.pk, today=clock.today())
    assert stale == len(people) * len(months)
    fresh = live.fresh_rows(people, months, today=clock.today(), fw=live.framework())
    assert fresh.count() == len(people) * len(months)
    assert set(LiveMonth.objects.values_list("person_id", flat=True)) == set(people)
    # Nothing changed: nothing to do. One task write: that owner's months again.
    assert live.warm(cast.agency_a.pk, today=clock.today()) == 0
    live.touch([cast.person("staff_x").pk])
    assert live.warm(cast.agency_a.pk, today=clock.today()) == len(months)


def test_the_job_warms_the_agency_and_is_the_pages_last_refresh(work: Work) -> None:
    cast = work.cast
    assert last_refresh(cast.agency_a) is None
    job = start_live_refresh(agency=cast.agency_a, actor=cast.user("leader_a"))
    job.refresh_from_db()  # the queue ran it (tests: at once)
    assert (job.kind, job.state) == (KIND, Job.State.DONE)
    assert job.result["stale"] == len(members(cast)) * live.MONTHS_BACK
    assert last_refresh(cast.agency_a) == job
    assert last_refresh(cast.agency_b) is None


def test_the_command_warms_every_agency_or_queues_them(work: Work) -> None:
    out = io.StringIO()
    call_command("refresh_live", stdout=out)
    text = out.getvalue()
    assert f"BA: đã tính lại {len(members(work.cast)) * live.MONTHS_BACK} lượt" in text
    out = io.StringIO()
    call_command("refresh_live", "--agency", "BA", "--queue", stdout=out)
    assert "BA: đã xếp việc #" in out.getvalue()
    assert Job.objects.filter(kind=KIND, agency=work.cast.agency_a).count() == 1
    with pytest.raises(CommandError, match="Không có cơ quan mã “KHONG”"):
        call_command("refresh_live", "--agency", "KHONG")


def test_the_agency_dashboard_says_when_it_was_refreshed_and_offers_a_refresh(
    client: Client, work: Work
) -> None:
    client.force_login(User.objects.get(username="leader_a"))
    # Nothing kept yet: the page queues the refresh (run at once by the tests' queue).
    page = client.get("/dashboard/agency/").content.decode()
    first = Job.objects.get(kind=KIND)
    assert first.state == Job.State.DONE and "Làm mới ngay" in page
    computed = UnitMonth.objects.filter(agency=work.cast.agency_a).first()
    assert computed is not None
    stamp = clock.local(computed.computed_at).strftime("%H:%M %d/%m/%Y")
    assert f"Số liệu của cả cơ quan được tính lúc {stamp}" in page
    # Kept and recent: another view queues nothing.
    client.get("/dashboard/agency/")
    assert Job.objects.filter(kind=KIND).count() == 1
    response = client.post(f"/dashboard/agency/refresh/?agency={work.cast.agency_a.pk}")
    job = Job.objects.exclude(pk=first.pk).get(kind=KIND)
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert job.params["back"] == f"/dashboard/agency/?agency={work.cast.agency_a.pk}"
    # Only who may see the agency dashboard may refresh it.
    client.force_login(User.objects.get(username="staff_x"))
    assert client.post("/dashboard/agency/refresh/").status_code == 403
    assert client.get("/dashboard/agency/refresh/").status_code == 405
    assert Job.objects.filter(kind=KIND).count() == 2


def test_the_agency_dashboard_never_computes_in_the_request(
    client: Client, work: Work, settings: Any
) -> None:
    """With the real queue (workers elsewhere), a page with nothing kept says so, queues
    one refresh and fills no row itself, however many times it is opened."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    client.force_login(User.objects.get(username="leader_a"))
    for _ in range(2):
        page = client.get("/dashboard/agency/").content.decode()
        assert "Số liệu của cả cơ quan chưa được tính lần nào" in page
        assert "Đang làm mới số liệu của cả cơ quan" in page
    job = Job.objects.get(kind=KIND)
    assert job.state == Job.State.QUEUED
    assert not UnitMonth.objects.exists() and not LiveMonth.objects.exists()
