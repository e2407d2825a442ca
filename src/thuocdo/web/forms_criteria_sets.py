"""The criteria set form: one field per thing the framework lets a unit tune.

Built from the base framework's document: a weight box for each criterion or group that
has an allowed range, a "leave out" box for each optional criterion, one row to add a
criterion to each group that takes additions, and a "keep" box for each addition made
before. `tuning()` turns a valid post into what `criteria_set_save` takes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from thuocdo.core.decimal_input import DecimalField
from thuocdo.core.numbers import exact_text
from thuocdo.web.framework_reading import number, say


@dataclass
class Line:
    """One criterion or group of the base framework, as the form shows it."""

    key: str
    label: str
    depth: int
    is_group: bool
    weight: str  # the framework's weight, as the page writes numbers
    allowed: str  # "0,3 – 0,5", or "" when fixed
    required: bool
    base_weight: Decimal | None = None
    fields: list[str] = field(default_factory=list)


def _required_inside(node: Mapping[str, Any]) -> bool:
    if node.get("required"):
        return True
    return any(_required_inside(c) for c in node.get("children") or [])


def _walk(node: Mapping[str, Any], depth: int, is_root: bool) -> Iterable[tuple[Any, int, bool]]:
    yield node, depth, is_root
    for child in node.get("children") or []:
        yield from _walk(child, depth + 1, False)


def _dec(value: Any) -> Decimal | None:
    return Decimal(str(value)) if value is not None else None


class CriteriaSetForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    reason = forms.CharField(label=gettext_lazy("Lý do"), max_length=500, required=False)

    def __init__(
        self,
        *args: Any,
        document: Mapping[str, Any],
        spec: Mapping[str, Any],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        weights = spec.get("weights") or {}
        removed = set(spec.get("remove") or [])
        self.additions: list[dict[str, Any]] = [dict(a) for a in spec.get("add") or []]
        self.lines: list[Line] = []
        self.groups_open: list[str] = []
        root = (document.get("individual") or {}).get("root") or {}
        for node, depth, is_root in _walk(root, 0, True):
            key = node["key"]
            rng = node.get("weight_range")
            line = Line(
                key=key,
                label=say((node.get("label_vi", key), node.get("label_en", key))),
                depth=depth,
                is_group=node.get("type") == "group",
                weight=number(_dec(node.get("weight"))) if "weight" in node else "",
                allowed=f"{number(_dec(rng[0]))} – {number(_dec(rng[1]))}" if rng else "",
                required=_required_inside(node) or is_root,
                base_weight=_dec(node.get("weight")),
            )
            if rng:
                name = f"weight_{key}"
                self.fields[name] = DecimalField(
                    label=_("Trọng số của “%(what)s”") % {"what": line.label},
                    required=False,
                    max_digits=24,
                    decimal_places=9,
                    help_text=_("Khoảng cho phép: %(range)s") % {"range": line.allowed},
                )
                self.initial[name] = _dec(weights.get(key, node.get("weight")))
                line.fields.append(name)
            if not line.required:
                name = f"remove_{key}"
                self.fields[name] = forms.BooleanField(
                    label=_("Không áp dụng “%(what)s”") % {"what": line.label}, required=False
                )
                self.initial[name] = key in removed
                line.fields.append(name)
            if line.is_group and node.get("allow_additions"):
                self.groups_open.append(key)
                self._addition_fields(key, line)
            self.lines.append(line)
        for i, added in enumerate(self.additions):
            crit = added.get("criterion") or {}
            label = say((crit.get("label_vi", ""), crit.get("label_en", "")))
            self.fields[f"keep_{i}"] = forms.BooleanField(
                label=_("Giữ tiêu chí đã thêm “%(what)s” (nhóm %(group)s)")
                % {"what": label, "group": added.get("parent", "")},
                required=False,
                initial=True,
            )

    def _addition_fields(self, group: str, line: Line) -> None:
        def put(name: str, f: forms.Field) -> None:
            self.fields[f"add_{group}_{name}"] = f
            line.fields.append(f"add_{group}_{name}")

        what = line.label
        put(
            "key",
            forms.RegexField(
                regex=r"^[a-z][a-z0-9_]*$",
                label=_("Mã tiêu chí mới trong “%(what)s”") % {"what": what},
                max_length=60,
                required=False,
                help_text=_(
                    "Chữ thường không dấu, chữ số và “_”, bắt đầu bằng chữ cái; để trống nếu "
                    "không thêm."
                ),
                error_messages={
                    "invalid": _(
                        "Mã phải gồm chữ thường không dấu, chữ số và “_”, bắt đầu bằng chữ cái."
                    )
                },
            ),
        )
        put(
            "label_vi", forms.CharField(label=_("Tên (tiếng Việt)"), max_length=255, required=False)
        )
        put("label_en", forms.CharField(label=_("Tên (tiếng Anh)"), max_length=255, required=False))
        for name, label in (("max", _("Điểm tối đa")), ("step", _("Bước chấm"))):
            put(name, DecimalField(label=label, required=False, max_digits=24, decimal_places=9))
        put(
            "weight",
            DecimalField(label=_("Trọng số"), required=False, max_digits=24, decimal_places=9),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for group in self.groups_open:
            if not data.get(f"add_{group}_key"):
                continue
            for name in ("label_vi", "max", "step"):
                if data.get(f"add_{group}_{name}") in (None, ""):
                    self.add_error(f"add_{group}_{name}", _("Cần nhập khi thêm một tiêu chí mới."))
        return data

    def tuning(self) -> dict[str, Any]:
        """{weights, removed, added} for `criteria_set_save`."""
        data = self.cleaned_data
        weights = {  # only what differs: the framework's own weight follows its versions
            line.key: data[f"weight_{line.key}"]
            for line in self.lines
            if data.get(f"weight_{line.key}") not in (None, line.base_weight)
        }
        removed = [line.key for line in self.lines if data.get(f"remove_{line.key}")]
        added = [a for i, a in enumerate(self.additions) if data.get(f"keep_{i}")]
        for group in self.groups_open:
            key = data.get(f"add_{group}_key")
            if not key:
                continue
            crit: dict[str, Any] = {
                "key": key,
                "type": "manual",
                "label_vi": data[f"add_{group}_label_vi"].strip(),
                "label_en": (data.get(f"add_{group}_label_en") or "").strip()
                or data[f"add_{group}_label_vi"].strip(),
                "scale": {
                    "max": exact_text(data[f"add_{group}_max"]),
                    "step": exact_text(data[f"add_{group}_step"]),
                },
            }
            if data.get(f"add_{group}_weight") is not None:
                crit["weight"] = exact_text(data[f"add_{group}_weight"])
            added.append({"parent": group, "criterion": crit})
        return {"weights": weights, "removed": removed, "added": added}
