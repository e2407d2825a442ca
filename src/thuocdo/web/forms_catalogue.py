"""Forms of the catalogue and plan pages. They only parse input; the work services hold
the rules (who takes which step, what a decided version allows, what a plan item needs).

Field names are the services' own, so a refusal naming a field lands on that field.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from thuocdo.core.decimal_input import DecimalField
from thuocdo.org.models import Unit
from thuocdo.work.models import PlanItem, ProductType

COMPLEXITY_CHOICES = [(n, str(n)) for n in range(1, 6)]


def _note(label: Any) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ProposeForm(forms.Form):
    """A unit leader proposes a new version (by default a copy of the latest one)."""

    note = _note(_("Ghi chú đề xuất"))
    copy_from_latest = forms.BooleanField(
        label=_("Sao chép sản phẩm từ phiên bản gần nhất"), required=False, initial=True
    )


class StepForm(forms.Form):
    """Standardising or deciding a version: an optional note for the record."""

    note = _note(_("Ghi chú"))


class ProductTypeEditForm(forms.Form):
    """What a product type may change while its version is not decided (not its code)."""

    name = forms.CharField(label=_("Tên sản phẩm"), max_length=255)
    unit_of_measure = forms.CharField(label=_("Đơn vị tính"), max_length=60)
    coefficient = DecimalField(label=_("Hệ số quy đổi"), max_digits=10, decimal_places=4)
    complexity_group = forms.TypedChoiceField(
        label=_("Nhóm mức độ phức tạp"), choices=COMPLEXITY_CHOICES, coerce=int
    )
    sort_order = forms.IntegerField(label=_("Thứ tự"), min_value=0, required=False, initial=0)
    reason = forms.CharField(label=_("Lý do sửa"), required=False, max_length=2000)

    def change_set(self) -> dict[str, Any]:
        data = self.cleaned_data
        changes = {
            "name": data["name"],
            "unit_of_measure": data["unit_of_measure"],
            "coefficient": data["coefficient"],
            "complexity_group": data["complexity_group"],
        }
        if data.get("sort_order") is not None:
            changes["sort_order"] = data["sort_order"]
        return changes

    @classmethod
    def of(cls, product: ProductType) -> ProductTypeEditForm:
        return cls(
            initial={
                "name": product.name,
                "unit_of_measure": product.unit_of_measure,
                "coefficient": product.coefficient.normalize(),
                "complexity_group": product.complexity_group,
                "sort_order": product.sort_order,
            }
        )


class ProductTypeForm(forms.Form):
    """A new product type in a version that is not yet decided."""

    code = forms.CharField(label=_("Mã sản phẩm"), max_length=40)
    name = forms.CharField(label=_("Tên sản phẩm"), max_length=255)
    unit_of_measure = forms.CharField(label=_("Đơn vị tính"), max_length=60)
    coefficient = DecimalField(label=_("Hệ số quy đổi"), max_digits=10, decimal_places=4)
    complexity_group = forms.TypedChoiceField(
        label=_("Nhóm mức độ phức tạp"), choices=COMPLEXITY_CHOICES, coerce=int
    )
    sort_order = forms.IntegerField(label=_("Thứ tự"), min_value=0, required=False, initial=0)


class PlanForm(forms.Form):
    """A unit's yearly work plan; the units offered are those the viewer leads."""

    unit = forms.ModelChoiceField(label=_("Đơn vị"), queryset=Unit.objects.none())
    year = forms.IntegerField(label=_("Năm"), min_value=2000, max_value=2100)
    title = forms.CharField(label=_("Tên kế hoạch"), max_length=255)
    note = _note(_("Ghi chú"))

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class PlanItemForm(forms.Form):
    """One item of a plan, due in a month (1–12) or a quarter (1–4)."""

    title = forms.CharField(label=_("Nội dung"), max_length=255)
    frequency = forms.ChoiceField(label=_("Kỳ"), choices=PlanItem.Frequency.choices)
    period_number = forms.IntegerField(label=_("Tháng / quý số"), min_value=1, max_value=12)
    product_type = forms.ModelChoiceField(
        label=_("Loại sản phẩm"), required=False, queryset=ProductType.objects.none()
    )
    target_quantity = DecimalField(
        label=_("Chỉ tiêu"), required=False, max_digits=12, decimal_places=2
    )
    sort_order = forms.IntegerField(label=_("Thứ tự"), min_value=0, required=False, initial=0)

    def __init__(self, *args: Any, products: QuerySet[ProductType], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["product_type"]
        field.queryset = products  # type: ignore[attr-defined]
        field.empty_label = _("Không gắn danh mục (hệ số 1)")  # type: ignore[attr-defined]
        field.label_from_instance = lambda p: f"{p.code} — {p.name}"  # type: ignore[attr-defined]
