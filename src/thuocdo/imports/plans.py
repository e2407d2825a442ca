"""Work plans: one plan item per row; the natural key is (Mã đơn vị, Năm, Kỳ, Số kỳ, Nội
dung) — the unit's plan for the year, the month or quarter, and the item's title.

A unit without a plan for the year gets one (`plan_create`, titled from *Tên kế hoạch* or
“Kế hoạch công tác năm …”); a new item is added with `plan_item_add`; an item already there
with the same product and target does nothing. Plan items are not edited through Excel
(there is no service for it): a known item whose product or target differs is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_noop

from thuocdo.core import clock
from thuocdo.core.models import User
from thuocdo.core.text import clean_text
from thuocdo.imports.catalogue import (
    decided_products,
    label_of,
    labelled,
    plain,
    product_choices,
    signed_in,
    signed_in_error,
)
from thuocdo.imports.columns import Choice, Column
from thuocdo.imports.errors import RowError
from thuocdo.imports.framework import (
    ANYONE,
    Actor,
    ImportKind,
    ParsedRow,
    RowPlan,
    Step,
    Write,
    changes_of,
)
from thuocdo.org.models import Unit
from thuocdo.work import rules, services
from thuocdo.work.models import Plan, PlanItem, ProductType

PlanKey = tuple[int, int, str, int, str]  # unit id, year, frequency, number, title


def unit_choices(agency: Unit) -> list[Choice]:
    units = Unit.objects.filter(agency=agency).order_by("path")
    return [Choice(label=u.code, value=u, aliases=(u.name,), note=u.name) for u in units]


def frequency_choices(agency: Unit) -> list[Choice]:
    return labelled(PlanItem.Frequency)


COLUMNS = (
    Column(
        "unit",
        "Mã đơn vị",
        "Unit code",
        "choice",
        required=True,
        choices=unit_choices,
        width=12,
        note_vi="Mã (hoặc tên) đơn vị có kế hoạch.",
    ),
    Column("year", "Năm", "Year", "integer", required=True, width=8, note_vi="Từ 2000 đến 2100."),
    Column(
        "plan_title",
        "Tên kế hoạch",
        "Plan title",
        width=30,
        note_vi="Chỉ dùng khi đơn vị chưa có kế hoạch năm đó; để trống: “Kế hoạch công tác năm …”.",
        max_length=Plan._meta.get_field("title").max_length,
    ),
    Column(
        "frequency",
        "Kỳ",
        "Frequency",
        "choice",
        required=True,
        choices=frequency_choices,
        width=9,
        note_vi="Tháng hoặc Quý.",
    ),
    Column(
        "period_number",
        "Số kỳ",
        "Period number",
        "integer",
        required=True,
        width=8,
        note_vi="Tháng 1–12 hoặc quý 1–4.",
    ),
    Column(
        "title",
        "Nội dung",
        "Item",
        required=True,
        width=40,
        max_length=PlanItem._meta.get_field("title").max_length,
    ),
    Column(
        "product",
        "Mã sản phẩm",
        "Product code",
        "choice",
        choices=product_choices,
        width=14,
        note_vi="Mã sản phẩm trong danh mục đã được quyết định; có thể để trống.",
    ),
    Column(
        "target_quantity",
        "Chỉ tiêu",
        "Target",
        "decimal",
        width=10,
        note_vi="Số lớn hơn 0, tối đa 2 chữ số thập phân; có thể để trống.",
    ),
)


def title_key(title: str) -> str:
    """Titles match after NFC and space clean-up (NFD text matches what is stored)."""
    return clean_text(title)


class PlanKind(ImportKind):
    code = "plans"
    title_vi = gettext_noop("Kế hoạch công tác")
    title_en = "Work plans"
    sheet_name = "Kế hoạch"
    row_noun_vi = "nội dung kế hoạch"
    columns = COLUMNS
    key = ("unit", "year", "frequency", "period_number", "title")
    instructions_vi = (
        "Mỗi dòng là một nội dung của kế hoạch công tác năm của một đơn vị, đến hạn trong một "
        "tháng hoặc một quý.",
        "Đơn vị chưa có kế hoạch năm đó thì kế hoạch được lập; nội dung đã có (cùng đơn vị, "
        "năm, kỳ, nội dung) được giữ nguyên — không sửa nội dung kế hoạch qua Excel.",
    )

    def plan_rows(
        self,
        agency: Unit,
        rows: list[ParsedRow],
        errors: list[RowError],
        *,
        reason: str,
        actor: Actor = ANYONE,
    ) -> list[RowPlan]:
        plans = {(p.unit_id, p.year): p for p in Plan.objects.filter(unit__agency=agency)}
        items: dict[PlanKey, PlanItem] = {}
        for item in PlanItem.objects.filter(plan__unit__agency=agency).select_related(
            "plan", "product_type"
        ):
            key = (
                item.plan.unit_id,
                item.plan.year,
                item.frequency,
                item.period_number,
                title_key(item.title),
            )
            items.setdefault(key, item)
        products = decided_products(agency)
        new_plans: dict[tuple[int, int], dict[str, Plan]] = {}
        planned: list[RowPlan] = []
        editable: dict[int, bool] = {}  # unit id → may the actor write its plan
        for row in rows:
            v = row.values
            unit: Unit = v["unit"]
            before = len(errors)
            product = self._product(row, products, errors)
            self._check(row, errors)
            if len(errors) > before:
                continue
            key = (unit.pk, v["year"], v["frequency"], v["period_number"], title_key(v["title"]))
            plan_row = RowPlan(row=row.row, key=f"{unit.code}/{v['year']}", label=v["title"])
            found = items.get(key)
            if found is not None:
                differs = changes_of(
                    COLUMNS,
                    [
                        (
                            "product",
                            found.product_type.code if found.product_type else None,
                            product.code if product else None,
                        ),
                        (
                            "target_quantity",
                            plain(found.target_quantity),
                            plain(v["target_quantity"]),
                        ),
                    ],
                )
                if differs:
                    shown = "; ".join(f"{c.column}: {c.before} → {c.after}" for c in differs)
                    errors.append(
                        self.error(
                            row,
                            "title",
                            f"Nội dung kế hoạch đã có, không sửa qua Excel ({shown}).",
                            f"The plan item exists and is not edited through Excel ({shown}).",
                        )
                    )
                    continue
                planned.append(plan_row)
                continue
            if actor is not ANYONE and not self._may_write(actor, unit, row, editable, errors):
                continue
            plan_row.steps = self._create(
                agency, unit, v, product, plans.get((unit.pk, v["year"])), new_plans
            )
            planned.append(plan_row)
        return planned

    def _may_write(
        self,
        actor: User | None,
        unit: Unit,
        row: ParsedRow,
        editable: dict[int, bool],
        errors: list[RowError],
    ) -> bool:
        """The right the writes will check (`rules.may_edit_plan`), checked for the preview
        on each row that adds to a plan, so that it promises only what the job does."""
        if actor is None:
            error = signed_in_error("kế hoạch công tác", "work plans")
            errors.append(self.error(row, "unit", error.message_vi, error.message_en))
            return False
        if unit.pk not in editable:
            editable[unit.pk] = rules.may_edit_plan(actor, unit, clock.today())
        if not editable[unit.pk]:
            errors.append(
                self.error(
                    row,
                    "unit",
                    f"Bạn không lập được kế hoạch của “{unit.name}”: chỉ lãnh đạo đơn vị đó "
                    "(hoặc đơn vị cấp trên) và bộ phận tổ chức cán bộ lập kế hoạch công tác.",
                    f"You may not draw up the plan of {unit.name}: only its leaders (or those "
                    "of a unit above it) and the personnel office do.",
                )
            )
            return False
        return True

    def _product(
        self,
        row: ParsedRow,
        products: dict[int | None, dict[str, ProductType]],
        errors: list[RowError],
    ) -> ProductType | None:
        code = row.values["product"]
        if code is None:
            return None
        found = products.get(None, {}).get(code)
        if found is None:
            matches = [scope[code] for scope in products.values() if code in scope]
            found = matches[0] if len(matches) == 1 else None
            if len(matches) > 1:
                errors.append(
                    self.error(
                        row,
                        "product",
                        "Mã sản phẩm có trong nhiều danh mục theo vị trí việc làm; hãy thêm "
                        "sản phẩm vào danh mục toàn cơ quan.",
                        "The code is in several job-position catalogues.",
                    )
                )
        return found

    def _check(self, row: ParsedRow, errors: list[RowError]) -> None:
        v = row.values
        if not 2000 <= v["year"] <= 2100:
            errors.append(
                self.error(row, "year", "Năm phải từ 2000 đến 2100.", "The year must be 2000–2100.")
            )
        top = 12 if v["frequency"] == PlanItem.Frequency.MONTH else 4
        if not 1 <= v["period_number"] <= top:
            errors.append(
                self.error(
                    row,
                    "period_number",
                    f"{label_of(PlanItem.Frequency, v['frequency'])} phải từ 1 đến {top}.",
                    f"The period number must be 1 to {top}.",
                )
            )
        target: Decimal | None = v["target_quantity"]
        if target is not None and (
            target <= 0 or target != target.quantize(Decimal("0.01")) or target >= 10**10
        ):
            errors.append(
                self.error(
                    row,
                    "target_quantity",
                    "Chỉ tiêu phải lớn hơn 0, tối đa 2 chữ số thập phân.",
                    "The target must be > 0 with at most 2 decimal places.",
                )
            )
        for key, limit in (("title", 255), ("plan_title", 255)):
            if v[key] is not None and len(v[key]) > limit:
                errors.append(
                    self.error(
                        row, key, f"Dài quá {limit} ký tự.", f"Longer than {limit} characters."
                    )
                )

    def _create(
        self,
        agency: Unit,
        unit: Unit,
        v: dict[str, Any],
        product: ProductType | None,
        plan: Plan | None,
        new_plans: dict[tuple[int, int], dict[str, Plan]],
    ) -> list[Step]:
        writes: list[Write] = []
        pairs: list[tuple[str, Any, Any]] = []
        made = new_plans.get((unit.pk, v["year"]))
        if plan is None and made is None:
            made = new_plans[(unit.pk, v["year"])] = {}
            title = v["plan_title"] or f"Kế hoạch công tác năm {v['year']}"
            holder = made

            def create_plan(actor: User | None) -> None:
                holder["plan"] = services.plan_create(
                    actor=signed_in(actor, "kế hoạch công tác", "work plans"),
                    unit=unit,
                    year=v["year"],
                    title=title,
                )

            writes.append(Write(0, create_plan))
            pairs.append(("plan_title", None, title))

        def add_item(actor: User | None) -> None:
            services.plan_item_add(
                actor=signed_in(actor, "kế hoạch công tác", "work plans"),
                plan=plan if plan is not None else made["plan"],  # type: ignore[index]
                title=v["title"],
                frequency=v["frequency"],
                period_number=v["period_number"],
                product_type=product,
                target_quantity=v["target_quantity"],
            )

        writes.append(Write(1, add_item))
        pairs += [
            ("frequency", None, label_of(PlanItem.Frequency, v["frequency"])),
            ("period_number", None, v["period_number"]),
            ("product", None, product.code if product else None),
            ("target_quantity", None, v["target_quantity"]),
        ]
        return [Step("create", changes=changes_of(COLUMNS, pairs), writes=writes)]

    def export_rows(self, agency: Unit) -> Iterable[dict[str, Any]]:
        items = PlanItem.objects.filter(plan__unit__agency=agency).select_related(
            "plan__unit", "product_type"
        )
        ordered = sorted(
            items,
            key=lambda i: (
                i.plan.unit.path,
                i.plan.year,
                i.frequency,
                i.period_number,
                i.sort_order,
                i.pk,
            ),
        )
        for item in ordered:
            yield {
                "unit": item.plan.unit,
                "year": item.plan.year,
                "plan_title": item.plan.title,
                "frequency": item.frequency,
                "period_number": item.period_number,
                "title": item.title,
                "product": item.product_type.code if item.product_type else None,
                "target_quantity": item.target_quantity,
            }
