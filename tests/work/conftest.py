"""Work fixtures on top of the cast: a decided catalogue, a plan for unit X, a clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import Cast
from thuocdo.work import services
from thuocdo.work.models import CatalogueVersion, Plan, PlanItem, ProductType, Task

HCM = ZoneInfo("Asia/Ho_Chi_Minh")

# The decree's worked example: coefficient of each product.
PRODUCTS = [
    ("BC", "Báo cáo chính sách", "báo cáo", "2.0", 4),
    ("CV", "Công văn", "văn bản", "0.5", 1),
    ("TD", "Thẩm định văn bản", "văn bản", "1.0", 2),
    ("DX", "Đề xuất phát sinh", "đề xuất", "1.5", 3),
]


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=HCM)


D = dt.date
JAN_5, JAN_10, JAN_20 = D(2026, 1, 5), D(2026, 1, 10), D(2026, 1, 20)


@dataclass
class Work:
    cast: Cast
    version: CatalogueVersion
    products: dict[str, ProductType]
    plan: Plan
    item: PlanItem

    def assign(
        self,
        owner: str = "staff_x",
        *,
        by: str = "head_x",
        kind: str = Task.Kind.PLANNED,
        product: str | None = "CV",
        quantity: Any = 1,
        deadline: dt.date = JAN_20,
        on: dt.date = JAN_5,
        **kw: Any,
    ) -> Task:
        return services.task_assign(
            actor=self.cast.user(by),
            owner=self.cast.person(owner),
            title=kw.pop("title", "Soạn thảo văn bản"),
            kind=kind,
            deadline=deadline,
            plan_item=self.item if kind == Task.Kind.PLANNED else None,
            product_type=self.products[product] if product else None,
            quantity=quantity,
            at=at(on),
            **kw,
        )

    def act(
        self, task: Task, action: str, by: str = "staff_x", on: dt.date = JAN_10, **kw: Any
    ) -> Task:
        task.refresh_from_db()
        return services.task_transition(
            actor=self.cast.user(by),
            task=task,
            action=action,
            expected_version=task.version,
            at=at(on),
            **kw,
        )


def build_work(cast: Cast) -> Work:
    catalogue = services.catalogue_create(
        actor=cast.user("personnel_a"), agency=cast.agency_a, name="Danh mục sản phẩm Ban A"
    )
    version = services.catalogue_version_propose(actor=cast.user("head_x"), catalogue=catalogue)
    products = {
        code: services.product_type_add(
            actor=cast.user("head_x"),
            version=version,
            code=code,
            name=name,
            unit_of_measure=measure,
            coefficient=Decimal(coefficient),
            complexity_group=group,
        )
        for code, name, measure, coefficient, group in PRODUCTS
    }
    services.catalogue_version_standardise(actor=cast.user("personnel_a"), version=version)
    services.catalogue_version_decide(actor=cast.user("leader_a"), version=version)
    plan = services.plan_create(
        actor=cast.user("head_x"), unit=cast.unit_x, year=2026, title="Kế hoạch công tác 2026"
    )
    item = services.plan_item_add(
        actor=cast.user("head_x"),
        plan=plan,
        title="Văn bản tham mưu tháng 1",
        frequency="month",
        period_number=1,
        product_type=products["CV"],
        target_quantity="10",
    )
    return Work(cast, version, products, plan, item)


@pytest.fixture
def work(cast: Cast) -> Work:
    return build_work(cast)
