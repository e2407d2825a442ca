"""Forms of the framework drafting pages: each turns a post into the drafting service's
structured edits (`thuocdo.frameworks.drafting`); the service's refusals come back next to
the field at fault, under the same field names."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from thuocdo.core.decimal_input import DecimalField
from thuocdo.scoring.model import RATING_LABELS, RATINGS
from thuocdo.web.forms_work import date_field

Edits = list[dict[str, Any]]


class DraftCreateForm(forms.Form):
    version = forms.CharField(
        label=_("Số phiên bản"),
        max_length=60,
        required=False,
        help_text=_("Để trống: hệ thống tự đặt theo phiên bản gốc và mã cơ quan."),
    )
    reason = forms.CharField(label=_("Lý do"), max_length=500, required=False)


class _EditForm(forms.Form):
    """Every edit posts the draft's revision it was shown (a stale page is refused)."""

    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def edits(self) -> Edits:
        raise NotImplementedError


def _label_fields(form: forms.Form, required: bool = True) -> None:
    form.fields["label_vi"] = forms.CharField(
        label=_("Tên (tiếng Việt)"), max_length=255, required=required
    )
    form.fields["label_en"] = forms.CharField(
        label=_("Tên (tiếng Anh)"), max_length=255, required=required
    )


class NodeForm(_EditForm):
    """A criterion or group: its names, and its weight or scale when it has one."""

    key = forms.CharField(widget=forms.HiddenInput)
    part = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, node: dict[str, Any] | None = None, **kwargs: Any) -> None:
        node = node or {}
        initial = kwargs.pop("initial", {}) or {}
        if node:
            initial = {
                "label_vi": node.get("label_vi", ""),
                "label_en": node.get("label_en", ""),
                "weight": Decimal(node["weight"]) if "weight" in node else None,
                "max": Decimal(node["scale"]["max"]) if "scale" in node else None,
                "step": Decimal(node["scale"]["step"]) if "scale" in node else None,
                **initial,
            }
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.node = node
        _label_fields(self)
        if "weight" in node or not node:
            self.fields["weight"] = DecimalField(
                label=_("Trọng số"), required=False, max_digits=24, decimal_places=9
            )
            if node.get("weight_range"):
                low, high = (str(x).replace(".", ",") for x in node["weight_range"])
                self.fields["weight"].help_text = _("Khoảng cho phép: %(low)s – %(high)s") % {
                    "low": low,
                    "high": high,
                }
        if "weight" in node or node.get("type") == "group":
            # posts without it (older pages, scripts) leave the unit's limits as they are
            self.fields["limits"] = forms.CharField(
                widget=forms.HiddenInput, required=False, initial="1"
            )
        if "weight" in node:
            rng = node.get("weight_range") or [None, None]
            for name, label, value in (
                ("min_weight", _("Trọng số tối thiểu đơn vị được đặt"), rng[0]),
                ("max_weight", _("Trọng số tối đa đơn vị được đặt"), rng[1]),
            ):
                self.fields[name] = DecimalField(
                    label=label, required=False, max_digits=24, decimal_places=9
                )
                self.initial.setdefault(name, Decimal(value) if value is not None else None)
            self.fields["min_weight"].help_text = _(
                "Để trống cả hai: đơn vị không được điều chỉnh trọng số này."
            )
        if node.get("type") == "group":
            self.fields["allow_additions"] = forms.BooleanField(
                label=_("Đơn vị được thêm tiêu chí vào nhóm này"), required=False
            )
            self.initial.setdefault("allow_additions", bool(node.get("allow_additions")))
        if node.get("type") == "manual" or not node:
            self.fields["max"] = DecimalField(
                label=_("Điểm tối đa"), required=False, max_digits=24, decimal_places=9
            )
            self.fields["step"] = DecimalField(
                label=_("Bước chấm"), required=False, max_digits=24, decimal_places=9
            )

    def edits(self) -> Edits:
        data = self.cleaned_data
        key, part = data["key"], data["part"]
        node = self.node
        out: Edits = []
        if data["label_vi"] != node.get("label_vi") or data["label_en"] != node.get("label_en"):
            out.append(
                {
                    "op": "set_label",
                    "part": part,
                    "key": key,
                    "label_vi": data["label_vi"],
                    "label_en": data["label_en"],
                }
            )
        weight = data.get("weight")
        if (
            "weight" in self.fields
            and weight is not None
            and ("weight" not in node or Decimal(node["weight"]) != weight)
        ):
            out.append({"op": "set_weight", "part": part, "key": key, "weight": weight})
        limits: dict[str, Any] = {}
        shown = data.get("limits") == "1"
        if shown and "min_weight" in self.fields:
            rng = node.get("weight_range") or [None, None]
            old_rng = tuple(Decimal(x) if x is not None else None for x in rng)
            new_rng = (data.get("min_weight"), data.get("max_weight"))
            if new_rng != old_rng:
                limits.update(min_weight=new_rng[0], max_weight=new_rng[1])
        if (
            shown
            and "allow_additions" in self.fields
            and data["allow_additions"] != bool(node.get("allow_additions"))
        ):
            limits["allow_additions"] = data["allow_additions"]
        if limits:
            out.append({"op": "set_limits", "part": part, "key": key, **limits})
        if "max" in self.fields:
            smax, step = data.get("max"), data.get("step")
            scale = node.get("scale") or {}
            if smax is not None or step is not None:
                old = (Decimal(scale.get("max", "0")), Decimal(scale.get("step", "0")))
                new = (smax if smax is not None else old[0], step if step is not None else old[1])
                if new != old:
                    out.append(
                        {"op": "set_scale", "part": part, "key": key, "max": new[0], "step": new[1]}
                    )
        return out


class CombineForm(_EditForm):
    key = forms.CharField(widget=forms.HiddenInput)
    part = forms.CharField(widget=forms.HiddenInput)
    combine = forms.ChoiceField(
        label=_("Cách tính của nhóm"),
        choices=[
            ("mean", _("Trung bình cộng")),
            ("weighted_mean", _("Trung bình có trọng số")),
        ],
    )

    def edits(self) -> Edits:
        data = self.cleaned_data
        return [
            {
                "op": "set_combine",
                "part": data["part"],
                "key": data["key"],
                "combine": data["combine"],
            }
        ]


class RemoveForm(_EditForm):
    key = forms.CharField(widget=forms.HiddenInput)
    part = forms.CharField(widget=forms.HiddenInput)

    def edits(self) -> Edits:
        data = self.cleaned_data
        op = "remove_unit_kpi" if data["part"] == "unit" else "remove_criterion"
        return [{"op": op, "part": data["part"], "key": data["key"]}]


class AddCriterionForm(_EditForm):
    parent = forms.CharField(widget=forms.HiddenInput)
    key = forms.CharField(
        label=_("Mã tiêu chí"),
        max_length=63,
        help_text=_("Chữ thường không dấu, chữ số và “_”, bắt đầu bằng chữ cái."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _label_fields(self)
        self.fields["max"] = DecimalField(label=_("Điểm tối đa"), max_digits=24, decimal_places=9)
        self.fields["step"] = DecimalField(label=_("Bước chấm"), max_digits=24, decimal_places=9)
        self.fields["weight"] = DecimalField(
            label=_("Trọng số"), required=False, max_digits=24, decimal_places=9
        )

    def edits(self) -> Edits:
        data = self.cleaned_data
        edit: dict[str, Any] = {
            "op": "add_criterion",
            "part": "individual",
            "parent": data["parent"],
            "key": data["key"].strip(),
            "label_vi": data["label_vi"],
            "label_en": data["label_en"],
            "max": data["max"],
            "step": data["step"],
        }
        if data.get("weight") is not None:
            edit["weight"] = data["weight"]
        return [edit]


class BandsForm(_EditForm):
    """The minimum points of each rating (best first)."""

    def __init__(self, *args: Any, bands: list[dict[str, Any]] | None = None, **kwargs: Any):
        self.bands = {b["rating"]: Decimal(b["min"]) for b in bands or []}
        initial = {f"min_{r}": m for r, m in self.bands.items()}
        kwargs["initial"] = {**initial, **kwargs.pop("initial", {})}
        super().__init__(*args, **kwargs)
        for rating in RATINGS:
            self.fields[f"min_{rating}"] = DecimalField(
                label=_("Từ (điểm): %(rating)s") % {"rating": _(RATING_LABELS[rating][0])},
                max_digits=24,
                decimal_places=9,
            )

    def edits(self) -> Edits:
        out: Edits = []
        for rating in RATINGS:
            value = self.cleaned_data[f"min_{rating}"]
            if self.bands.get(rating) != value:
                out.append({"op": "set_band", "rating": rating, "min": value})
        return out


class QuotaForm(_EditForm):
    ratio = DecimalField(
        label=_("Tỷ lệ tối đa “Hoàn thành xuất sắc” trên số “Hoàn thành tốt”"),
        max_digits=24,
        decimal_places=9,
        help_text=_("Số từ 0 đến 1, ví dụ 0,2 là 20%."),
    )
    max_exception_ratio = DecimalField(
        label=_("Tỷ lệ ngoại lệ tối đa"), max_digits=24, decimal_places=9
    )

    def __init__(self, *args: Any, quota: dict[str, Any] | None = None, **kwargs: Any):
        self.quota = quota or {}
        initial: dict[str, Any] = {
            k: Decimal(self.quota[k]) for k in ("ratio", "max_exception_ratio") if k in self.quota
        }
        kwargs["initial"] = {**initial, **kwargs.pop("initial", {})}
        super().__init__(*args, **kwargs)

    def edits(self) -> Edits:
        data = self.cleaned_data
        return [
            {
                "op": "set_quota",
                "ratio": data["ratio"],
                "max_exception_ratio": data["max_exception_ratio"],
            }
        ]


DIRECTION_CHOICES = [
    ("higher_is_better", _("Càng cao càng tốt")),
    ("lower_is_better", _("Càng thấp càng tốt")),
]
GROUP_CHOICES = [
    ("foundational", _("KPIs nền tảng")),
    ("functional", _("KPIs chức năng")),
    ("specific", _("KPIs đặc thù")),
]


class UnitKpiForm(_EditForm):
    """A unit KPI (a target): added to a group, or edited (``key`` given, group fixed)."""

    def __init__(
        self, *args: Any, node: dict[str, Any] | None = None, adding: bool = True, **kwargs: Any
    ) -> None:
        node = node or {}
        target = node.get("target") or {}
        initial = kwargs.pop("initial", {}) or {}
        if node:
            initial = {
                "key": node.get("key", ""),
                "label_vi": node.get("label_vi", ""),
                "label_en": node.get("label_en", ""),
                "direction": target.get("direction", "higher_is_better"),
                "unit_of_measure": target.get("unit_of_measure", ""),
                "weight": Decimal(node["weight"]) if "weight" in node else None,
                **initial,
            }
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.adding = adding
        if adding:
            self.fields["group"] = forms.ChoiceField(label=_("Nhóm KPI"), choices=GROUP_CHOICES)
            self.fields["key"] = forms.CharField(
                label=_("Mã chỉ số"),
                max_length=63,
                help_text=_("Chữ thường không dấu, chữ số và “_”, bắt đầu bằng chữ cái."),
            )
        else:
            self.fields["key"] = forms.CharField(widget=forms.HiddenInput)
        _label_fields(self)
        self.fields["direction"] = forms.ChoiceField(
            label=_("Chiều đánh giá"), choices=DIRECTION_CHOICES
        )
        self.fields["unit_of_measure"] = forms.CharField(
            label=_("Đơn vị tính"), max_length=60, required=False
        )
        self.fields["weight"] = DecimalField(
            label=_("Trọng số"), required=False, max_digits=24, decimal_places=9
        )

    def edits(self) -> Edits:
        data = self.cleaned_data
        edit: dict[str, Any] = {
            "op": "add_unit_kpi" if self.adding else "edit_unit_kpi",
            "part": "unit",
            "key": data["key"].strip(),
            "label_vi": data["label_vi"],
            "label_en": data["label_en"],
            "direction": data["direction"],
            "unit_of_measure": data["unit_of_measure"],
        }
        if self.adding:
            edit["group"] = data["group"]
        if data.get("weight") is not None:
            edit["weight"] = data["weight"]
        return [edit]


class AdoptForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    valid_from = date_field(_("Áp dụng từ ngày"))  # dd/mm/yyyy, as every evaluation form
    reason = forms.CharField(
        label=_("Căn cứ, lý do"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
