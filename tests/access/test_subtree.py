"""`subtree_tasks` and `subtree_posts` (the unit dashboard's reads) select exactly what
`visible_tasks` and `visible_people` let each role see under a unit, whichever way they
take: by unit id for whoever sees the whole subtree, through the visible_* filters else."""

from __future__ import annotations

import pytest

from tests.conftest import Cast
from tests.work.conftest import Work, build_work
from thuocdo.access import (
    subtree_posts,
    subtree_tasks,
    subtree_units,
    visible_people,
    visible_tasks,
)
from thuocdo.core import clock
from thuocdo.core.models import User
from thuocdo.org.models import Assignment, Unit
from thuocdo.org.selectors import current
from thuocdo.work.models import Task


@pytest.fixture
def work(cast: Cast) -> Work:
    return build_work(cast)


ROLES = ["staff_x", "deputy_x", "head_x", "head_y", "leader_a", "personnel_a", "auditor_a"]


@pytest.mark.parametrize("username", ROLES)
def test_the_subtree_reads_match_the_visibility_rules(work: Work, username: str) -> None:
    cast = work.cast
    work.assign("staff_x", title="Việc của X")
    work.assign("staff_x1", kind=Task.Kind.ARISING, title="Việc của phòng X1")
    work.assign("staff_y", by="head_y", kind=Task.Kind.ARISING, title="Việc của Y")
    user = User.objects.get(username=username)
    today = clock.today()
    for unit in (cast.unit_x, cast.agency_a):
        expected_tasks = set(
            visible_tasks(user)
            .filter(unit__path__startswith=unit.path)
            .values_list("pk", flat=True)
        )
        assert set(subtree_tasks(user, unit).values_list("pk", flat=True)) == expected_tasks
        expected_posts = set(
            Assignment.objects.filter(
                current(today),
                is_concurrent=False,
                unit__path__startswith=unit.path,
                person__in=visible_people(user),
            ).values_list("pk", flat=True)
        )
        posts = subtree_posts(user, unit, today)
        assert set(posts.values_list("pk", flat=True)) == expected_posts
    whole = subtree_units(user, cast.unit_x)
    if username in ("head_x", "deputy_x", "leader_a", "personnel_a", "auditor_a"):
        assert whole == dict(
            Unit.objects.filter(path__startswith=cast.unit_x.path).values_list("pk", "path")
        )
        assert subtree_tasks(user, cast.unit_x).count() == 2  # the office's task too
    else:
        assert whole is None
