"""Product catalogue lifecycle (art. 13) and plans."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from tests.conftest import Cast
from thuocdo.core.errors import AccessDenied, Conflict, ValidationFailed
from thuocdo.work import services
from thuocdo.work.models import CatalogueVersion, ProductType
from thuocdo.work.selectors import product_types_in_force

from .conftest import Work


def test_a_catalogue_goes_proposed_standardised_decided(work: Work) -> None:
    version = work.version
    version.refresh_from_db()
    assert version.status == CatalogueVersion.Status.DECIDED
    assert version.decided_by == work.cast.user("leader_a")
    assert version.standardised_by == work.cast.user("personnel_a")
    assert set(product_types_in_force(work.cast.agency_a)) == set(work.products.values())


def test_a_decided_version_is_immutable_and_a_new_version_copies_it(work: Work) -> None:
    cv = work.products["CV"]
    with pytest.raises(Conflict, match="đã được quyết định"):
        services.product_type_update(
            actor=work.cast.user("head_x"), product_type=cv, coefficient="0.6"
        )
    with pytest.raises(Conflict, match="phiên bản mới"):
        services.product_type_add(
            actor=work.cast.user("head_x"),
            version=work.version,
            code="N",
            name="Mới",
            unit_of_measure="cái",
            coefficient="1",
            complexity_group=1,
        )
    cv.refresh_from_db()
    assert cv.coefficient == Decimal("0.5")
    v2 = services.catalogue_version_propose(
        actor=work.cast.user("deputy_x"), catalogue=work.version.catalogue, note="Điều chỉnh"
    )
    assert v2.number == 2
    assert v2.product_types.count() == len(work.products)
    copy = v2.product_types.get(code="CV")
    services.product_type_update(
        actor=work.cast.user("personnel_a"),
        product_type=copy,
        coefficient="0.6",
        reason="Chuẩn hoá",
    )
    copy.refresh_from_db()
    assert copy.coefficient == Decimal("0.6")
    assert product_types_in_force(work.cast.agency_a).get(code="CV").coefficient == Decimal("0.5")


def test_each_step_needs_its_own_role(work: Work) -> None:
    cast = work.cast
    catalogue = services.catalogue_create(
        actor=cast.user("personnel_a"),
        agency=cast.agency_a,
        name="Danh mục chuyên viên",
        job_position=cast.job_x,
    )
    with pytest.raises(AccessDenied, match="lãnh đạo đơn vị"):
        services.catalogue_version_propose(actor=cast.user("staff_x"), catalogue=catalogue)
    version = services.catalogue_version_propose(actor=cast.user("head_y"), catalogue=catalogue)
    services.product_type_add(
        actor=cast.user("head_y"),
        version=version,
        code="A",
        name="Á",
        unit_of_measure="cái",
        coefficient="1.25",
        complexity_group=5,
    )
    with pytest.raises(Conflict, match="chuẩn hoá"):
        services.catalogue_version_decide(actor=cast.user("leader_a"), version=version)
    with pytest.raises(AccessDenied, match="tổ chức cán bộ"):
        services.catalogue_version_standardise(actor=cast.user("head_x"), version=version)
    services.catalogue_version_standardise(actor=cast.user("personnel_a"), version=version)
    with pytest.raises(AccessDenied, match="người đứng đầu"):
        services.catalogue_version_decide(actor=cast.user("head_x"), version=version)
    services.catalogue_version_decide(actor=cast.user("leader_a"), version=version)
    in_force = product_types_in_force(cast.agency_a, job_position_id=cast.job_x.pk)
    assert [p.code for p in in_force] == ["A"]


@pytest.mark.parametrize(
    ("coefficient", "group", "field"),
    [
        ("0", 1, "coefficient"),
        ("-1", 1, "coefficient"),
        ("abc", 1, "coefficient"),
        ("1.00001", 1, "coefficient"),
        ("1", 0, "complexity_group"),
        ("1", 6, "complexity_group"),
    ],
)
def test_bad_products_are_refused_naming_the_field(
    cast: Cast, coefficient: str, group: int, field: str
) -> None:
    catalogue = services.catalogue_create(
        actor=cast.user("personnel_a"), agency=cast.agency_a, name="Danh mục"
    )
    version = services.catalogue_version_propose(actor=cast.user("head_x"), catalogue=catalogue)
    with pytest.raises(ValidationFailed) as refused:
        services.product_type_add(
            actor=cast.user("head_x"),
            version=version,
            code="A",
            name="Á",
            unit_of_measure="cái",
            coefficient=coefficient,
            complexity_group=group,
        )
    assert refused.value.field == field
    assert not ProductType.objects.filter(version=version).exists()


@pytest.mark.parametrize(
    ("values", "constraint"),
    [({"coefficient": Decimal(0)}, "coefficient"), ({"complexity_group": 6}, "complexity")],
)
def test_the_database_enforces_products_too(work: Work, values: dict, constraint: str) -> None:
    row = {
        "version": work.version,
        "code": "Z",
        "name": "Z",
        "unit_of_measure": "cái",
        "coefficient": Decimal(1),
        "complexity_group": 1,
        **values,
    }
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        ProductType.objects.create(**row)


def test_one_plan_per_unit_and_year(work: Work) -> None:
    with pytest.raises(Conflict, match="2026"):
        services.plan_create(
            actor=work.cast.user("head_x"), unit=work.cast.unit_x, year=2026, title="Lần hai"
        )
    services.plan_create(
        actor=work.cast.user("head_x"), unit=work.cast.unit_x, year=2027, title="Kế hoạch 2027"
    )


def test_plans_are_made_by_the_units_leaders(work: Work) -> None:
    with pytest.raises(AccessDenied):
        services.plan_create(
            actor=work.cast.user("head_y"), unit=work.cast.unit_x, year=2030, title="Không được"
        )
    with pytest.raises(ValidationFailed) as bad:
        services.plan_item_add(
            actor=work.cast.user("head_x"),
            plan=work.plan,
            title="Quý 5",
            frequency="quarter",
            period_number=5,
        )
    assert bad.value.field == "period_number"
