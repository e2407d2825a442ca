"""Criteria sets per job position: kept within what the framework allows (the engine's
message next to the field at fault, nothing written), audited, stale pages refused, carried
into a new draft, checked at adoption, and used when a period creates its evaluations —
the unit's set before the agency-wide one, before the framework."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from tests.conftest import Cast
from thuocdo.audit.models import AuditEntry
from thuocdo.core import clock
from thuocdo.core.errors import Conflict, ValidationFailed
from thuocdo.frameworks import criteria_sets as cs
from thuocdo.frameworks import drafting
from thuocdo.frameworks.models import CriteriaSet, FrameworkVersion
from thuocdo.frameworks.refusals import DraftRefused
from thuocdo.frameworks.selectors import engine_framework
from thuocdo.org.models import Assignment


@pytest.fixture
def presets(db: None) -> None:
    call_command("load_presets", stdout=StringIO())


def base_draft(cast: Cast) -> FrameworkVersion:
    source = FrameworkVersion.objects.get(agency__isnull=True, key="ban-cscl-2025")
    return drafting.framework_draft_from(
        actor=cast.user("personnel_a"), agency=cast.agency_a, source=source
    )


def adopted(cast: Cast, row: FrameworkVersion) -> FrameworkVersion:
    row.refresh_from_db()
    return drafting.framework_draft_adopt(
        actor=cast.user("leader_a"),
        version=row,
        valid_from=clock.today(),
        expected_revision=row.revision,
    )


def save(cast: Cast, base: FrameworkVersion, unit: Any = None, **kw: Any) -> CriteriaSet:
    kw.setdefault("weights", {})
    kw.setdefault("expected_revision", None)
    return cs.criteria_set_save(
        actor=cast.user("personnel_a"), base=base, job_position=cast.job_x, unit=unit, **kw
    )


def test_a_set_inside_the_ranges_is_kept_and_audited(cast: Cast, presets: None) -> None:
    base = base_draft(cast)
    row = save(cast, base, weights={"volume": Decimal("0.5"), "a_planned": Decimal("0.7")})
    assert row.weights == {"volume": "0.5", "a_planned": "0.7"}
    assert row.revision == 1
    fw = cs.derived_framework(base, cast.job_x, None, row.spec())
    nodes = {n.key: n for n in fw.individual.root.walk()}
    assert nodes["volume"].weight == Decimal("0.5")
    assert fw.job_position == "Chuyên viên Vụ X"
    entry = AuditEntry.objects.get(action="frameworks.criteria_set.create")
    assert entry.after["weights"] == {"volume": "0.5", "a_planned": "0.7"}
    assert entry.actor_id == cast.user("personnel_a").pk


def test_a_weight_out_of_range_is_refused_next_to_its_field(cast: Cast, presets: None) -> None:
    base = base_draft(cast)
    with pytest.raises(DraftRefused) as err:
        save(cast, base, weights={"volume": Decimal("0.9")})
    assert err.value.errors[0].field == "weight_volume"
    assert "0.9" in err.value.errors[0].message_vi and "[0.3, 0.5]" in err.value.message_vi
    assert not CriteriaSet.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="frameworks.criteria_set").exists()


def test_required_criteria_stay_and_additions_only_where_allowed(cast: Cast, presets: None) -> None:
    base = base_draft(cast)
    with pytest.raises(DraftRefused) as err:
        save(cast, base, removed=["volume"])
    assert err.value.errors[0].field == "removed"
    crit = {
        "key": "s_reports",
        "type": "manual",
        "label_vi": "Báo cáo chuyên đề",
        "label_en": "Thematic reports",
        "scale": {"max": "5", "step": "0.5"},
        "weight": "1",
    }
    with pytest.raises(DraftRefused) as err:
        save(cast, base, added=[{"parent": "volume", "criterion": crit}])
    assert err.value.errors[0].field == "added"
    assert "volume" in err.value.message_vi
    row = save(cast, base, added=[{"parent": "specific", "criterion": crit}])
    fw = cs.derived_framework(base, cast.job_x, None, row.spec())
    assert "s_reports" in {n.key for n in fw.individual.root.walk()}


def test_a_stale_page_and_an_unchanged_post_are_refused(cast: Cast, presets: None) -> None:
    base = base_draft(cast)
    row = save(cast, base, weights={"volume": Decimal("0.45")})
    with pytest.raises(Conflict):  # someone made it meanwhile: "new" is stale
        save(cast, base, weights={"volume": Decimal("0.35")})
    with pytest.raises(ValidationFailed):
        save(cast, base, weights={"volume": Decimal("0.45")}, expected_revision=row.revision)
    row = save(cast, base, weights={"volume": Decimal("0.35")}, expected_revision=1)
    assert (row.revision, row.weights) == (2, {"volume": "0.35"})
    with pytest.raises(Conflict):
        save(cast, base, weights={"volume": Decimal("0.4")}, expected_revision=1)
    before = AuditEntry.objects.get(action="frameworks.criteria_set.edit").before
    assert before["weights"] == {"volume": "0.45"}


def test_a_set_needs_an_agency_framework_and_the_agency_s_position(
    cast: Cast, presets: None
) -> None:
    national = FrameworkVersion.objects.get(agency__isnull=True, key="ban-cscl-2025")
    with pytest.raises(ValidationFailed) as err:
        save(cast, national)
    assert err.value.field == "base"
    base = base_draft(cast)
    with pytest.raises(ValidationFailed) as err:
        cs.criteria_set_save(
            actor=None,
            base=base,
            job_position=cast.job_b,
            unit=None,
            weights={},
            expected_revision=None,
        )
    assert err.value.field == "job_position"
    with pytest.raises(ValidationFailed) as err:
        save(cast, base, unit=cast.unit_z)
    assert err.value.field == "unit"


def test_a_new_draft_carries_the_sets_and_adoption_waits_for_broken_ones(
    cast: Cast, presets: None
) -> None:
    base = adopted(cast, base_draft(cast))
    save(cast, base, weights={"volume": Decimal("0.5")})
    nxt = drafting.framework_draft_from(actor=None, agency=cast.agency_a, source=base)
    carried = CriteriaSet.objects.get(base=nxt)
    assert carried.weights == {"volume": "0.5"}
    # the draft narrows the range the set used: adoption is refused, naming the set
    nxt = drafting.framework_draft_edit(
        actor=None,
        version=nxt,
        edits=[
            {
                "op": "set_limits",
                "key": "volume",
                "min_weight": Decimal("0.3"),
                "max_weight": Decimal("0.45"),
            }
        ],
        expected_revision=nxt.revision,
    )
    assert drafting.node_paths(nxt.document, "individual")["volume"].node["weight_range"] == [
        "0.3",
        "0.45",
    ]
    with pytest.raises(ValidationFailed) as err:
        adopted(cast, nxt)
    assert "Chuyên viên Vụ X" in err.value.message_vi
    nxt.refresh_from_db()
    assert nxt.status == "draft"


def _evaluations_framework(cast: Cast, base: FrameworkVersion) -> dict[str, FrameworkVersion]:
    from thuocdo.evaluations import services as ev
    from thuocdo.evaluations.models import Evaluation, Period

    today = clock.today()
    period = ev.period_create(
        actor=cast.user("personnel_a"),
        agency=cast.agency_a,
        kind=Period.Kind.MONTH,
        year=today.year,
        number=today.month,
        framework_key=base.key,
    )
    ev.period_transition(
        actor=cast.user("personnel_a"),
        period=period,
        action="start_self_assessment",
        expected_version=period.version,
    )
    return {
        e.person.user.username: e.framework
        for e in Evaluation.objects.filter(period=period).select_related(
            "framework", "person__user"
        )
    }


def test_evaluations_use_the_nearest_unit_s_set_then_the_agency_s(
    cast: Cast, presets: None
) -> None:
    base = adopted(cast, base_draft(cast))
    # staff_x1 (office X1, under unit X) takes the position too
    moved = Assignment.objects.get(person=cast.person("staff_x1"), end_date__isnull=True)
    moved.job_position = cast.job_x
    moved.save(update_fields=["job_position"])
    save(cast, base, weights={"volume": Decimal("0.5")})
    unit_set = cs.criteria_set_save(
        actor=cast.user("head_x"),
        base=base,
        job_position=cast.job_x,
        unit=cast.unit_x,
        weights={"volume": Decimal("0.3")},
        expected_revision=None,
    )
    used = _evaluations_framework(cast, base)
    # X's head, deputy and staff, and X1's staff (below X): X's own set
    for name in ("head_x", "deputy_x", "staff_x", "staff_x1"):
        fw = engine_framework(used[name])
        assert fw.job_position == "Chuyên viên Vụ X", name
        weights = {n.key: n.weight for n in fw.individual.root.walk()}
        assert weights["volume"] == Decimal("0.3"), name
        assert used[name].first_used_at is not None
        assert used[name].status == "published"
    # no position: the framework itself
    assert used["staff_y"] == base
    # the same tuning is one stored version; the set's key names position and unit
    assert len({used[n].pk for n in ("head_x", "deputy_x", "staff_x", "staff_x1")}) == 1
    assert used["staff_x"].key == f"{base.key}.x-cv.x"
    issued = AuditEntry.objects.get(action="frameworks.criteria_set.issue")
    assert issued.after["criteria_set"] == unit_set.pk
    # a later tuning never rewrites the stored version: it makes a new one
    stored = used["staff_x"]
    cs.criteria_set_save(
        actor=cast.user("head_x"),
        base=base,
        job_position=cast.job_x,
        unit=cast.unit_x,
        weights={"volume": Decimal("0.35")},
        expected_revision=1,
    )
    again = cs.framework_versions_for(base, [(cast.unit_x.pk, cast.job_x.pk)], None)
    assert again[(cast.unit_x.pk, cast.job_x.pk)].pk != stored.pk
    stored.refresh_from_db()
    assert engine_framework(stored).content_hash == stored.content_hash


def test_without_a_unit_set_the_agency_wide_set_applies(cast: Cast, presets: None) -> None:
    base = adopted(cast, base_draft(cast))
    save(cast, base, weights={"volume": Decimal("0.5")})
    found = cs.framework_versions_for(base, [(cast.unit_x.pk, cast.job_x.pk)], None)
    fw = engine_framework(found[(cast.unit_x.pk, cast.job_x.pk)])
    assert {n.key: n.weight for n in fw.individual.root.walk()}["volume"] == Decimal("0.5")
    assert found[(cast.unit_x.pk, cast.job_x.pk)].key == f"{base.key}.x-cv"


def test_dropping_a_unit_s_set_falls_back_to_the_agency_s(cast: Cast, presets: None) -> None:
    base = adopted(cast, base_draft(cast))
    shared = save(cast, base, weights={"volume": Decimal("0.5")})
    mine = cs.criteria_set_save(
        actor=cast.user("head_x"),
        base=base,
        job_position=cast.job_x,
        unit=cast.unit_x,
        weights={"volume": Decimal("0.3")},
        expected_revision=None,
    )
    assert cs.set_for(base, cast.office_x1, cast.job_x.pk) == mine
    with pytest.raises(Conflict):
        cs.criteria_set_delete(actor=None, criteria_set=mine, expected_revision=9)
    cs.criteria_set_delete(actor=cast.user("head_x"), criteria_set=mine, expected_revision=1)
    assert cs.set_for(base, cast.office_x1, cast.job_x.pk) == shared
    entry = AuditEntry.objects.get(action="frameworks.criteria_set.delete")
    assert entry.before["weights"] == {"volume": "0.3"} and entry.after == {}


def test_issued_sets_stay_off_the_framework_lists(cast: Cast, presets: None) -> None:
    from django.test import Client
    from django.urls import reverse

    base = adopted(cast, base_draft(cast))
    save(cast, base, weights={"volume": Decimal("0.5")})
    issued = cs.framework_versions_for(base, [(cast.unit_x.pk, cast.job_x.pk)], None)
    derived = issued[(cast.unit_x.pk, cast.job_x.pk)]
    client = Client()
    client.force_login(cast.user("personnel_a"))
    for name in ("web:framework_list", "web:fwdraft_list"):
        text = client.get(reverse(name)).content.decode()
        assert derived.version not in text, name
        assert base.version in text, name
    # it is still read where an evaluation links it
    assert client.get(reverse("web:framework", args=[derived.pk])).status_code == 200
