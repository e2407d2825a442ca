"""Product catalogues: one product type per row; the natural key is (agency, Danh mục, Mã
sản phẩm), written into the catalogue's latest version while it is still editable.

- The latest version is proposed or standardised: new codes are added, changed rows are
  updated (only the changed fields), identical rows do nothing.
- The latest version is decided (or the catalogue has none): identical rows do nothing;
  if any row adds or changes a product, one new version is proposed (a copy of the latest,
  as `catalogue_version_propose` does) and the rows are written into it. Importing the
  same file again then finds that version and changes nothing.
- The optional *Phiên bản* column (the export fills it) must name the latest version; a row
  that would change a decided version named there is refused: a decided version is frozen.

Products missing from the file are left alone (nothing is deleted through Excel). The
catalogue itself must exist (it is created on its page, with its scope).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

from django.db.models import TextChoices
from django.utils import translation
from django.utils.translation import gettext_noop

from thuocdo.core import clock
from thuocdo.core.errors import ValidationFailed
from thuocdo.core.models import User
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
from thuocdo.org.models import Person, Unit
from thuocdo.work import rules, services
from thuocdo.work.models import CatalogueVersion, ProductCatalogue, ProductType

# --- helpers the plan and task kinds share ------------------------------------------------


def labelled(choices: type[TextChoices], *, skip: tuple[str, ...] = ()) -> list[Choice]:
    """Vietnamese labels whatever the page language; the English label and the stored
    value match too."""
    with translation.override("en"):
        english = {value: str(label) for value, label in choices.choices}
    with translation.override("vi"):
        return [
            Choice(label=str(label), value=value, aliases=(english[value], value))
            for value, label in choices.choices
            if value not in skip
        ]


def label_of(choices: type[TextChoices], value: str) -> str:
    """The Vietnamese label of a stored value (labels are fixed: read once per class)."""
    return _labels(choices).get(value, value)


@cache
def _labels(choices: type[TextChoices]) -> dict[str, str]:
    with translation.override("vi"):
        return {value: str(label) for value, label in choices.choices}


def plain(number: Decimal | None) -> str | None:
    """2.00 → "2", 1.50 → "1.5": how a number reads in the preview and in error reports."""
    return None if number is None else f"{number.normalize():f}"


def signed_in_error(what_vi: str, what_en: str) -> ValidationFailed:
    return ValidationFailed(
        f"Nhập {what_vi} phải do người dùng có quyền thực hiện trên trang Nhập dữ liệu "
        "(dòng lệnh không thay mặt ai được).",
        f"Importing {what_en} needs a signed-in user with the right role (the command "
        "line acts for nobody).",
    )


def signed_in(actor: User | None, what_vi: str, what_en: str) -> User:
    """Catalogue and plan services check the actor's role; an import without a signed-in
    user (the command line) cannot pass for anyone, so it is refused here."""
    if actor is None:
        raise signed_in_error(what_vi, what_en)
    return actor


def decided_products(agency: Unit) -> dict[int | None, dict[str, ProductType]]:
    """Product types usable for work: those of each catalogue's latest decided version,
    by the catalogue's job position (None = agency-wide), then by code. Two queries."""
    latest: dict[int, CatalogueVersion] = {}
    for version in CatalogueVersion.objects.filter(
        catalogue__agency=agency, status=CatalogueVersion.Status.DECIDED
    ).select_related("catalogue"):
        known = latest.get(version.catalogue_id)
        if known is None or version.number > known.number:
            latest[version.catalogue_id] = version
    scope = {v.pk: v.catalogue.job_position_id for v in latest.values()}
    found: dict[int | None, dict[str, ProductType]] = defaultdict(dict)
    for product in ProductType.objects.filter(version_id__in=list(scope)):
        found[scope[product.version_id]][product.code] = product
    return found


def product_choices(agency: Unit) -> list[Choice]:
    """Codes of decided products, agency-wide catalogue first; the value is the code (the
    kind picks the product for the row's job position)."""
    seen: dict[str, Choice] = {}
    by_scope = decided_products(agency)
    for scope in sorted(by_scope, key=lambda s: (s is not None, s or 0)):
        for code, product in sorted(by_scope[scope].items()):
            seen.setdefault(code, Choice(label=code, value=code, note=product.name))
    return list(seen.values())


# --- the catalogue kind ---------------------------------------------------------------------


def catalogue_choices(agency: Unit) -> list[Choice]:
    catalogues = ProductCatalogue.objects.filter(agency=agency).select_related("job_position")
    return [
        Choice(
            label=c.name,
            value=c,
            aliases=(c.job_position.code,) if c.job_position else (),
            note=f"Vị trí việc làm {c.job_position.name}" if c.job_position else "Toàn cơ quan",
        )
        for c in sorted(catalogues, key=lambda c: (c.job_position_id is not None, c.name))
    ]


COLUMNS = (
    Column(
        "catalogue",
        "Danh mục",
        "Catalogue",
        "choice",
        required=True,
        choices=catalogue_choices,
        width=30,
        note_vi="Tên danh mục sản phẩm đã lập của cơ quan (xem trang “Giá trị hợp lệ”).",
    ),
    Column(
        "version",
        "Phiên bản",
        "Version",
        "integer",
        width=10,
        note_vi="Để trống: ghi vào phiên bản đang đề xuất, hoặc đề xuất phiên bản mới nếu "
        "phiên bản mới nhất đã được quyết định. Nếu ghi số thì phải là phiên bản mới nhất.",
    ),
    Column(
        "code",
        "Mã sản phẩm",
        "Product code",
        required=True,
        width=14,
        note_vi="Mã duy nhất trong danh mục; dùng để nhận ra sản phẩm đã có.",
    ),
    Column("name", "Tên sản phẩm", "Product name", required=True, width=36),
    Column("unit_of_measure", "Đơn vị tính", "Unit of measure", required=True, width=14),
    Column(
        "coefficient",
        "Hệ số quy đổi",
        "Coefficient",
        "decimal",
        required=True,
        width=12,
        note_vi="Số lớn hơn 0, tối đa 4 chữ số thập phân (ví dụ 1,5).",
    ),
    Column(
        "complexity_group",
        "Nhóm mức độ phức tạp",
        "Complexity group",
        "integer",
        required=True,
        width=12,
        note_vi="Số nguyên từ 1 đến 5.",
    ),
    Column("sort_order", "Thứ tự", "Order", "integer", width=8, note_vi="Số nguyên; để trống: 0."),
)

FIELDS = ("name", "unit_of_measure", "coefficient", "complexity_group", "sort_order")


@dataclass
class _Target:
    """What the file will write into one catalogue."""

    catalogue: ProductCatalogue
    latest: CatalogueVersion | None
    products: dict[str, ProductType] = field(default_factory=dict)  # latest version's, by code
    made: dict[str, CatalogueVersion] = field(default_factory=dict)  # the version proposed
    proposing: bool = False

    @property
    def editable(self) -> bool:
        return self.latest is not None and self.latest.status != CatalogueVersion.Status.DECIDED

    def version(self) -> CatalogueVersion:
        if "version" in self.made:
            return self.made["version"]
        assert self.latest is not None
        return self.latest


class CatalogueKind(ImportKind):
    code = "catalogue"
    title_vi = gettext_noop("Danh mục sản phẩm")
    title_en = "Product catalogue"
    sheet_name = "Sản phẩm"
    row_noun_vi = "sản phẩm"
    columns = COLUMNS
    key = ("catalogue", "code")
    instructions_vi = (
        "Mỗi dòng là một loại sản phẩm của một danh mục; sản phẩm được nhận ra theo danh mục "
        "và mã sản phẩm.",
        "Sản phẩm được ghi vào phiên bản mới nhất của danh mục khi phiên bản đó còn sửa được "
        "(đề xuất hoặc đã chuẩn hoá). Nếu phiên bản mới nhất đã được quyết định, một phiên bản "
        "đề xuất mới được lập (sao chép phiên bản mới nhất) để ghi các thay đổi; phiên bản đã "
        "quyết định không bao giờ bị sửa.",
        "Sản phẩm không có trong tệp được giữ nguyên; không xoá sản phẩm qua Excel.",
        "Lập phiên bản mới cần người nhập là lãnh đạo đơn vị (theo quy trình danh mục).",
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
        targets: dict[int, _Target] = {}
        latest: dict[int, CatalogueVersion] = {}
        for version in CatalogueVersion.objects.filter(catalogue__agency=agency):
            known = latest.get(version.catalogue_id)
            if known is None or version.number > known.number:
                latest[version.catalogue_id] = version
        products: dict[int, dict[str, ProductType]] = defaultdict(dict)
        for product in ProductType.objects.filter(version_id__in=[v.pk for v in latest.values()]):
            products[product.version_id][product.code] = product
        planned: list[RowPlan] = []
        first_change: ParsedRow | None = None
        first_proposal: tuple[ParsedRow, ProductCatalogue] | None = None
        for row in rows:
            v = row.values
            catalogue: ProductCatalogue = v["catalogue"]
            target = targets.get(catalogue.pk)
            if target is None:
                current = latest.get(catalogue.pk)
                target = targets[catalogue.pk] = _Target(
                    catalogue, current, products[current.pk] if current else {}
                )
            before = len(errors)
            self._check_values(row, errors)
            if len(errors) > before:
                continue
            wanted = {
                "name": v["name"],
                "unit_of_measure": v["unit_of_measure"],
                "coefficient": v["coefficient"],
                "complexity_group": v["complexity_group"],
                "sort_order": v["sort_order"] or 0,
            }
            existing = target.products.get(v["code"])
            changed = (
                {f: value for f, value in wanted.items() if getattr(existing, f) != value}
                if existing is not None
                else dict(wanted)
            )
            if v["version"] is not None:
                number = target.latest.number if target.latest else None
                if v["version"] != number:
                    errors.append(
                        self.error(
                            row,
                            "version",
                            f"Chỉ ghi vào phiên bản mới nhất của danh mục ({number or 'chưa có'});"
                            " để trống cột này để ghi vào phiên bản đang đề xuất.",
                            f"Only the catalogue's latest version ({number or 'none'}) can be "
                            "written; leave this column blank to write into the proposed one.",
                        )
                    )
                    continue
                if changed and not target.editable:
                    errors.append(
                        self.error(
                            row,
                            "version",
                            f"Phiên bản {number} đã được quyết định nên không sửa được; để trống "
                            "cột “Phiên bản” để ghi vào một phiên bản đề xuất mới.",
                            f"Version {number} is decided and cannot change; leave “Version” "
                            "blank to write into a new proposed version.",
                        )
                    )
                    continue
            plan_row = RowPlan(row=row.row, key=v["code"], label=v["name"])
            if changed:
                proposing = target.proposing
                plan_row.steps = self._steps(target, existing, v["code"], wanted, changed, reason)
                first_change = first_change or row
                if target.proposing and not proposing:
                    first_proposal = first_proposal or (row, catalogue)
            planned.append(plan_row)
        if actor is not ANYONE:
            self._check_rights(actor, agency, first_change, first_proposal, errors)
        return planned

    def _check_rights(
        self,
        actor: User | None,
        agency: Unit,
        first_change: ParsedRow | None,
        first_proposal: tuple[ParsedRow, ProductCatalogue] | None,
        errors: list[RowError],
    ) -> None:
        """The rights the writes will check (`catalogue_version_propose`, then the
        product services), checked for the preview: a unit leader proposes a version; a
        leader or the personnel office edits one. Reported once, on the first row that
        needs them."""
        if first_change is None:
            return
        if actor is None:
            error = signed_in_error("danh mục sản phẩm", "product catalogues")
            errors.append(self.error(first_change, "catalogue", error.message_vi, error.message_en))
            return
        today = clock.today()
        person = Person.objects.filter(user=actor, is_active=True).first()
        leader = person is not None and rules.leads_any_unit(person, agency, today)
        if first_proposal is not None and not leader:
            row, catalogue = first_proposal
            errors.append(
                self.error(
                    row,
                    "catalogue",
                    f"Phiên bản mới nhất của danh mục “{catalogue.name}” đã được quyết định nên "
                    "tệp này cần đề xuất phiên bản mới; chỉ lãnh đạo đơn vị mới đề xuất danh "
                    "mục sản phẩm.",
                    f"The latest version of “{catalogue.name}” is decided, so this file needs "
                    "a new proposed version; only a unit's head or deputy proposes a catalogue.",
                )
            )
        elif not leader and not rules.is_personnel(actor, agency, today):
            errors.append(
                self.error(
                    first_change,
                    "catalogue",
                    "Chỉ lãnh đạo đơn vị hoặc bộ phận tổ chức cán bộ sửa được danh mục.",
                    "Only unit leaders or the personnel office edit a catalogue.",
                )
            )

    def _check_values(self, row: ParsedRow, errors: list[RowError]) -> None:
        v = row.values
        coefficient: Decimal = v["coefficient"]
        if coefficient <= 0:
            errors.append(
                self.error(
                    row, "coefficient", "Hệ số quy đổi phải lớn hơn 0.", "Must be greater than 0."
                )
            )
        elif coefficient != coefficient.quantize(Decimal("0.0001")):
            errors.append(
                self.error(
                    row,
                    "coefficient",
                    "Hệ số quy đổi có nhiều nhất 4 chữ số thập phân.",
                    "At most 4 decimal places.",
                )
            )
        elif coefficient >= Decimal(1_000_000):
            errors.append(
                self.error(
                    row, "coefficient", "Hệ số quy đổi quá lớn.", "The coefficient is too large."
                )
            )
        if not 1 <= v["complexity_group"] <= 5:
            errors.append(
                self.error(
                    row,
                    "complexity_group",
                    "Nhóm mức độ phức tạp phải từ 1 đến 5.",
                    "The complexity group must be 1 to 5.",
                )
            )
        if v["sort_order"] is not None and not 0 <= v["sort_order"] < 2**31:
            errors.append(
                self.error(row, "sort_order", "Thứ tự phải là số không âm.", "Must be 0 or more.")
            )
        for key, limit in (("code", 40), ("name", 255), ("unit_of_measure", 60)):
            if len(v[key]) > limit:
                errors.append(
                    self.error(
                        row,
                        key,
                        f"Dài quá {limit} ký tự.",
                        f"Longer than {limit} characters.",
                    )
                )

    def _steps(
        self,
        target: _Target,
        product: ProductType | None,
        code: str,
        wanted: dict[str, Any],
        changed: dict[str, Any],
        reason: str,
    ) -> list[Step]:
        first: list[Write] = []
        pairs: list[tuple[str, Any, Any]] = []
        if not target.editable and not target.proposing:
            target.proposing = True  # one new version per catalogue, on its first changed row

            def propose(actor: User | None) -> None:
                target.made["version"] = services.catalogue_version_propose(
                    actor=signed_in(actor, "danh mục sản phẩm", "product catalogues"),
                    catalogue=target.catalogue,
                    note=reason,
                )

            number = (target.latest.number + 1) if target.latest else 1
            first.append(Write(0, propose))
            pairs.append(("version", target.latest.number if target.latest else None, number))
        pairs += [
            (name, getattr(product, name) if product else None, value)
            for name, value in wanted.items()
            if name in changed
        ]
        shown = changes_of(COLUMNS, pairs)
        if product is None:

            def add(actor: User | None) -> None:
                services.product_type_add(
                    actor=signed_in(actor, "danh mục sản phẩm", "product catalogues"),
                    version=target.version(),
                    code=code,
                    **wanted,
                )

            return [Step("create", changes=shown, writes=[*first, Write(1, add)])]
        else:

            def update(actor: User | None) -> None:
                version = target.version()
                current = (
                    product
                    if version.pk == product.version_id
                    else ProductType.objects.get(version=version, code=code)
                )
                services.product_type_update(
                    actor=signed_in(actor, "danh mục sản phẩm", "product catalogues"),
                    product_type=current,
                    reason=reason,
                    **changed,
                )

        return [Step("update", changes=shown, writes=[*first, Write(1, update)])]

    def export_rows(self, agency: Unit) -> Iterable[dict[str, Any]]:
        latest: dict[int, CatalogueVersion] = {}
        for version in CatalogueVersion.objects.filter(catalogue__agency=agency).select_related(
            "catalogue"
        ):
            known = latest.get(version.catalogue_id)
            if known is None or version.number > known.number:
                latest[version.catalogue_id] = version
        versions = {v.pk: v for v in latest.values()}
        products = ProductType.objects.filter(version_id__in=list(versions))
        ordered = sorted(
            products,
            key=lambda p: (
                versions[p.version_id].catalogue.job_position_id is not None,
                versions[p.version_id].catalogue.name,
                p.sort_order,
                p.code,
            ),
        )
        for p in ordered:
            version = versions[p.version_id]
            yield {
                "catalogue": version.catalogue,
                "version": version.number,
                "code": p.code,
                "name": p.name,
                "unit_of_measure": p.unit_of_measure,
                "coefficient": p.coefficient,
                "complexity_group": p.complexity_group,
                "sort_order": p.sort_order,
            }
