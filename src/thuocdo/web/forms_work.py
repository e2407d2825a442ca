"""Forms of the work pages. They only parse input; the work services hold the rules.

Every form that changes a task carries the task's `version` in a hidden field: the
service compares it with the row it locks, so a stale page changes nothing.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from thuocdo.core.decimal_input import DecimalField
from thuocdo.org.models import Person
from thuocdo.work.models import PlanItem, ProductType, Task
from thuocdo.work.transitions import ACTIONS

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]  # dd/mm/yyyy first; ISO from scripts and tests


def date_field(label: Any) -> forms.DateField:
    """A date typed as dd/mm/yyyy whatever the browser's own locale."""
    return forms.DateField(
        label=label,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(
            format="%d/%m/%Y",
            attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off"},
        ),
    )


class TaskFilterForm(forms.Form):
    """Filters of My work and of the unit board (GET). Every field is optional."""

    DUE_CHOICES = [
        ("", _("Mọi thời hạn")),
        ("week", _("Đến hạn trong tuần này")),
        ("overdue", _("Quá hạn")),
    ]

    q = forms.CharField(label=_("Tìm theo tên nhiệm vụ"), required=False, max_length=200)
    state = forms.ChoiceField(
        label=_("Trạng thái"),
        required=False,
        choices=[("", _("Mọi trạng thái")), ("open", _("Đang mở")), *Task.State.choices],
    )
    kind = forms.ChoiceField(
        label=_("Loại nhiệm vụ"), required=False, choices=[("", _("Mọi loại")), *Task.Kind.choices]
    )
    due = forms.ChoiceField(label=_("Thời hạn"), required=False, choices=DUE_CHOICES)
    owner = forms.ModelChoiceField(
        label=_("Người thực hiện"), required=False, queryset=Person.objects.none()
    )

    def __init__(self, *args: Any, owners: QuerySet[Person] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if owners is None:
            del self.fields["owner"]
        else:
            self.fields["owner"].queryset = owners  # type: ignore[attr-defined]
            self.fields["owner"].empty_label = _("Mọi người")  # type: ignore[attr-defined]


class PlanMonthForm(forms.Form):
    """The month of a plan to show, `?month=2026-05`: a month of the plan's year."""

    month = forms.CharField(required=False, strip=True)

    def __init__(self, *args: Any, year: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.year = year

    def clean_month(self) -> int | None:
        raw: str = self.cleaned_data["month"]
        if not raw:
            return None
        found = re.fullmatch(r"([0-9]{4})-([0-9]{1,2})", raw)
        shown = raw if len(raw) <= 20 else f"{raw[:20]}…"  # echo a little, never a page
        if found is None or not 1 <= int(found[2]) <= 12:
            raise ValidationError(
                _("“%(value)s” không phải là một tháng (viết năm-tháng, ví dụ %(example)s)."),
                params={"value": shown, "example": f"{self.year}-05"},
            )
        if int(found[1]) != self.year:
            raise ValidationError(
                _("Tháng %(value)s không thuộc kế hoạch năm %(year)s."),
                params={"value": shown, "year": self.year},
            )
        return int(found[2])


class TransitionForm(forms.Form):
    """One step of the workflow (start, submit, accept, return…), posted from any page."""

    action = forms.ChoiceField(choices=[(code, a.label_vi) for code, a in ACTIONS.items()])
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(
        label=_("Lý do"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    done_quantity = DecimalField(
        label=_("Khối lượng hoàn thành"), required=False, min_value=0, decimal_places=2
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class ExplainForm(forms.Form):
    text = forms.CharField(
        label=_("Nội dung giải trình"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


class ExtendForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    new_deadline = date_field(_("Hạn mới (dd/mm/yyyy)"))
    reason = forms.CharField(label=_("Lý do gia hạn"), widget=forms.Textarea(attrs={"rows": 2}))


class ExemptionRequestForm(forms.Form):
    event = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(
        label=_("Nguyên nhân khách quan"), widget=forms.Textarea(attrs={"rows": 2})
    )


class ExemptionDecideForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    decision = forms.ChoiceField(
        label=_("Quyết định"),
        choices=[("approve", _("Chấp thuận miễn trừ")), ("refuse", _("Không chấp thuận"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Lý do"), widget=forms.Textarea(attrs={"rows": 2}))
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class PlanItemChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        period = (
            _("tháng %(n)s") if obj.frequency == PlanItem.Frequency.MONTH else _("quý %(n)s")
        ) % {"n": obj.period_number}
        return f"{obj.plan.unit.name} · {obj.plan.year} · {period} — {obj.title}"


class ProductChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        coefficient = f"{obj.coefficient.normalize():f}".replace(".", ",")
        return f"{obj.code} — {obj.name} ({obj.unit_of_measure}, ×{coefficient})"


class AssignForm(forms.Form):
    """A leader gives a task to a member of a unit they lead."""

    owner = forms.ModelChoiceField(
        label=_("Người chủ trì thực hiện"), queryset=Person.objects.none()
    )
    title = forms.CharField(label=_("Tên nhiệm vụ"), max_length=500)
    kind = forms.ChoiceField(label=_("Loại nhiệm vụ"), choices=Task.Kind.choices)
    plan_item = PlanItemChoice(
        label=_("Nội dung kế hoạch (bắt buộc với nhiệm vụ theo kế hoạch)"),
        queryset=PlanItem.objects.none(),
        required=False,
    )
    product_type = ProductChoice(
        label=_("Loại sản phẩm (danh mục đã quyết định)"),
        queryset=ProductType.objects.none(),
        required=False,
    )
    quantity = DecimalField(
        label=_("Số lượng"), min_value=0, decimal_places=2, max_digits=12, initial=1
    )
    deadline = date_field(_("Hạn hoàn thành (dd/mm/yyyy)"))
    extra = forms.ChoiceField(
        label=_("Việc làm thêm"),
        choices=[("", _("Không")), (Task.Extra.OUTSIDE_PLAN, Task.Extra.OUTSIDE_PLAN.label)],
        required=False,
    )
    collaborators = forms.ModelMultipleChoiceField(
        label=_("Người phối hợp (giữ Ctrl để chọn nhiều người)"),
        queryset=Person.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    description = forms.CharField(
        label=_("Mô tả, yêu cầu"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self,
        *args: Any,
        owners: QuerySet[Person],
        colleagues: QuerySet[Person],
        plan_items: QuerySet[PlanItem],
        products: QuerySet[ProductType],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]
        self.fields["collaborators"].queryset = colleagues  # type: ignore[attr-defined]
        self.fields["plan_item"].queryset = plan_items  # type: ignore[attr-defined]
        self.fields["product_type"].queryset = products  # type: ignore[attr-defined]
