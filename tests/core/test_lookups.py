"""`__any_of`: a long id list as one parameter, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest

from tests.conftest import Cast
from thuocdo.org.models import Person


@pytest.mark.django_db
def test_any_of_matches_exactly_the_listed_ids(cast: Cast) -> None:
    people = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    chosen = people[::2]
    found = Person.objects.filter(pk__any_of=chosen).values_list("pk", flat=True)
    assert sorted(found) == chosen
    assert not Person.objects.filter(pk__any_of=[]).exists()
    # Through a foreign key too, and beyond what one statement may bind one by one
    # (SQLite refuses more than 32,766 parameters).
    absent = list(range(10**6, 10**6 + 40_000))
    in_a = Person.objects.filter(agency_id__any_of=[*absent, cast.agency_a.pk])
    expected = Person.objects.filter(agency=cast.agency_a).values_list("pk", flat=True)
    assert sorted(in_a.values_list("pk", flat=True)) == sorted(expected)
    one = Person.objects.filter(pk__any_of=[*absent, chosen[0]]).values_list("pk", flat=True)
    assert list(one) == [chosen[0]]
