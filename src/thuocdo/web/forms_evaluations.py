"""Forms of the evaluation pages. They only parse input; the evaluation services hold the
rules (scales, reasons, who, when, quotas).

Forms that change a period or an evaluation carry its `version` in a hidden field: the
service compares it with the row it locks, so a stale page changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from thuocdo.core.decimal_input import DecimalField
from thuocdo.core.errors import NotFound
from thuocdo.core.numbers import vn_text
from thuocdo.core.text import in_language
from thuocdo.evaluations.models import RATING_CHOICES, Complaint, Exclusion, Override, Period
from thuocdo.evaluations.services import OVERRIDE_FLAGS
from thuocdo.evaluations.transitions import ACTIONS, REOPEN_TARGETS, state_label
from thuocdo.frameworks.models import FrameworkVersion
from thuocdo.frameworks.selectors import DEFAULT_FRAMEWORK, framework_for
from thuocdo.org.models import Person, Unit
from thuocdo.scoring import Node
from thuocdo.scoring.model import DISCIPLINE_LEVELS
from thuocdo.web.forms_work import date_field

DEADLINES = [
    ("self_assessment_until", _("Hạn tự đánh giá")),
    ("review_until", _("Hạn cấp trên đánh giá")),
    ("collective_until", _("Hạn lấy ý kiến tập thể")),
    ("decision_until", _("Hạn quyết định")),
]
LEADER_PARTS = [("d", "d"), ("dd", "đ"), ("e", "e")]
LEVEL_CHOICES = [("", _("Theo dữ liệu (không điều chỉnh)")), ("1", "100%"), ("0.5", "50%")]
DISCIPLINE_LABELS = {
    "reprimand": _("Khiển trách"),
    "warning": _("Cảnh cáo"),
    "demotion": _("Hạ bậc lương / giáng chức"),
    "removal": _("Cách chức"),
    "dismissal": _("Buộc thôi việc"),
}
FLAG_LABELS = {
    "political_degradation": _("Kết luận suy thoái về tư tưởng chính trị, đạo đức, lối sống"),
    "corruption_or_waste_in_charge": _("Để xảy ra tham nhũng, lãng phí trong đơn vị phụ trách"),
}


def _optional_date(label: Any) -> forms.DateField:
    field = date_field(label)
    field.required = False
    return field


class PeriodCreateForm(forms.Form):
    kind = forms.ChoiceField(label=_("Loại kỳ"), choices=Period.Kind.choices)
    year = forms.IntegerField(label=_("Năm"), min_value=2000, max_value=2100)
    number = forms.IntegerField(
        label=_("Số kỳ (tháng 1–12, quý 1–4; năm: 1)"), min_value=1, max_value=12, initial=1
    )
    framework_key = forms.ChoiceField(
        label=_("Khung đánh giá"),
        choices=[],
        error_messages={
            "invalid_choice": _(
                "Khung “%(value)s” không có phiên bản nào được ban hành áp dụng cho cơ quan "
                "vào ngày bắt đầu kỳ; hãy chọn một khung trong danh sách."
            ),
            "required": _("Hãy chọn khung đánh giá cho kỳ."),
        },
    )
    self_assessment_until = _optional_date(_("Hạn tự đánh giá"))
    review_until = _optional_date(_("Hạn cấp trên đánh giá"))
    collective_until = _optional_date(_("Hạn lấy ý kiến tập thể"))
    decision_until = _optional_date(_("Hạn quyết định"))
    complaint_days = forms.IntegerField(
        label=_("Số ngày được khiếu nại sau khi thông báo"), min_value=1, max_value=90, initial=10
    )
    party_committee_step = forms.BooleanField(
        label=_("Lấy ý kiến cấp ủy đối với lãnh đạo, quản lý"), required=False
    )
    acting_head_rule = forms.ChoiceField(
        label=_("Người phụ trách đơn vị được đánh giá"),
        choices=Period.ActingHeadRule.choices,
        initial=Period.ActingHeadRule.AS_HEAD,
    )

    def __init__(self, *args: Any, agency: Unit, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        on = _period_start(self.data) if self.is_bound else None
        choices = frameworks_in_force(agency, on or today)
        field = self.fields["framework_key"]
        field.choices = choices  # type: ignore[attr-defined]
        keys = [key for key, _label in choices]
        if keys and not self.is_bound:
            self.initial.setdefault(
                "framework_key", DEFAULT_FRAMEWORK if DEFAULT_FRAMEWORK in keys else keys[0]
            )

    def deadlines(self) -> dict[str, dt.date | None]:
        return {key: self.cleaned_data[key] for key, _label in DEADLINES}


def _period_start(data: Any) -> dt.date | None:
    """The first day of the period being posted (None while its fields are not valid)."""
    try:
        kind, year, number = str(data.get("kind")), int(data.get("year")), int(data.get("number"))
        if kind == Period.Kind.YEAR:
            return dt.date(year, 1, 1)
        if kind == Period.Kind.QUARTER and 1 <= number <= 4:
            return dt.date(year, 3 * number - 2, 1)
        if kind == Period.Kind.MONTH:
            return dt.date(year, number, 1)
    except (TypeError, ValueError, OverflowError):
        return None
    return None


def frameworks_in_force(agency: Unit, on: dt.date) -> list[tuple[str, str]]:
    """(key, "title (phiên bản …)") of every framework in force for the agency on the day:
    its own versions and the national ones, the same choice `framework_for` makes for a
    period (a job position's criteria set is not a period's framework)."""
    keys = (
        FrameworkVersion.objects.filter(
            Q(agency__isnull=True) | Q(agency_id=agency.agency_id or agency.pk),
            status__in=[FrameworkVersion.Status.PUBLISHED, FrameworkVersion.Status.RETIRED],
            valid_from__lte=on,
        )
        .order_by("key")
        .values_list("key", flat=True)
        .distinct()
    )
    out: list[tuple[str, str]] = []
    for key in keys:
        try:
            _row, fw = framework_for(agency, key, on)
        except NotFound:
            continue  # retired before the day
        if fw.job_position is not None or fw.derived_from is not None:
            continue
        title = in_language(fw.title_vi, fw.title_en)
        out.append(
            (
                key,
                gettext("%(title)s (phiên bản %(version)s)")
                % {"title": title, "version": fw.version},
            )
        )
    return out


class DeadlinesForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    self_assessment_until = _optional_date(_("Hạn tự đánh giá"))
    review_until = _optional_date(_("Hạn cấp trên đánh giá"))
    collective_until = _optional_date(_("Hạn lấy ý kiến tập thể"))
    decision_until = _optional_date(_("Hạn quyết định"))
    complaint_days = forms.IntegerField(
        label=_("Số ngày được khiếu nại sau khi thông báo"), min_value=1, max_value=90
    )

    def deadlines(self) -> dict[str, dt.date | None]:
        return {key: self.cleaned_data[key] for key, _label in DEADLINES}


class StepForm(forms.Form):
    """One step of the period table (transitions.py)."""

    action = forms.ChoiceField(choices=[(code, a.label_vi) for code, a in ACTIONS.items()])
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ReopenForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    to_state = forms.ChoiceField(label=_("Mở lại về bước"), choices=[])
    reason = forms.CharField(label=_("Lý do mở lại"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, state: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        targets = REOPEN_TARGETS.get(state, ())
        self.fields["to_state"].choices = [(s, state_label(s)) for s in targets]  # type: ignore[attr-defined]


def _score_field(node: Node, label: Any = None) -> forms.DecimalField:
    """A score box; its scale's top is shown beside it and the service checks the steps."""
    return DecimalField(
        label=label or in_language(node.label_vi, node.label_en), min_value=0, decimal_places=2
    )


class SelfAssessForm(forms.Form):
    """One score and one piece of evidence per general criterion; the scale is the service's."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    comment = forms.CharField(
        label=_("Tự nhận xét"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    evidence_text = forms.CharField(
        label=_("Minh chứng chung (văn bản, đường dẫn)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self, *args: Any, nodes: Iterable[Node], on_behalf: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.nodes = list(nodes)
        if on_behalf:  # entered for an official who cannot: the reason is required
            self.fields["on_behalf_reason"] = forms.CharField(
                label=_("Lý do nhập thay (nghỉ phép, ốm đau, biệt phái…)"), max_length=1000
            )
        for node in self.nodes:
            self.fields[f"score_{node.key}"] = _score_field(node)
            self.fields[f"evidence_{node.key}"] = forms.CharField(
                label=_("Minh chứng"), required=False, max_length=2000
            )

    def scores(self) -> dict[str, Any]:
        return {n.key: self.cleaned_data[f"score_{n.key}"] for n in self.nodes}

    def evidence(self) -> dict[str, str]:
        return {n.key: self.cleaned_data[f"evidence_{n.key}"] or "" for n in self.nodes}


class ReviewForm(forms.Form):
    """The manager confirms or changes each score (a change needs a reason); for a leader,
    d, đ, e at 100% or 50% with a reason, or prolonged complaints about internal conflict."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    comment = forms.CharField(
        label=_("Nhận xét của cấp trên trực tiếp"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, nodes: Iterable[Node], leader: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.nodes = list(nodes)
        self.leader = leader
        for node in self.nodes:
            self.fields[f"score_{node.key}"] = _score_field(node)
            self.fields[f"reason_{node.key}"] = forms.CharField(
                label=_("Lý do thay đổi"), required=False, max_length=2000
            )
        if leader:
            for code, _label in LEADER_PARTS:
                self.fields[f"{code}_value"] = forms.ChoiceField(
                    label=_("Mức"), choices=LEVEL_CHOICES, required=False
                )
                self.fields[f"{code}_reason"] = forms.CharField(
                    label=_("Lý do"), required=False, max_length=2000
                )
            self.fields["e_conflict"] = forms.BooleanField(
                label=_("Có đơn thư phản ánh kéo dài về mất đoàn kết nội bộ"), required=False
            )

    def scores(self) -> dict[str, Any]:
        return {n.key: self.cleaned_data[f"score_{n.key}"] for n in self.nodes}

    def reasons(self) -> dict[str, str]:
        return {n.key: self.cleaned_data[f"reason_{n.key}"] or "" for n in self.nodes}

    def leader_parts(self) -> dict[str, dict[str, Any]]:
        """Only the components the reviewer touched go to the service (each needs a reason)."""
        if not self.leader:
            return {}
        out: dict[str, dict[str, Any]] = {}
        for code, _label in LEADER_PARTS:
            value = self.cleaned_data.get(f"{code}_value") or ""
            reason = self.cleaned_data.get(f"{code}_reason") or ""
            conflict = code == "e" and bool(self.cleaned_data.get("e_conflict"))
            if value or reason or conflict:
                spec: dict[str, Any] = {"value": value, "reason": reason}
                if code == "e":
                    spec["internal_conflict"] = conflict
                out[code] = spec
        return out


class MinutesForm(forms.Form):
    text = forms.CharField(
        label=_("Nội dung biên bản (ý kiến của tập thể)"), widget=forms.Textarea(attrs={"rows": 5})
    )
    held_on = date_field(_("Ngày họp"))
    attendees = forms.ModelMultipleChoiceField(
        label=_("Người dự họp"),
        queryset=Person.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    total_members = forms.IntegerField(label=_("Tổng số thành viên của đơn vị"), min_value=1)
    approved = forms.BooleanField(
        label=_("Biên bản đã được thông qua tại cuộc họp"), required=False, initial=True
    )

    def __init__(self, *args: Any, members: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = members  # type: ignore[attr-defined]


class PartyCommentForm(forms.Form):
    committee = forms.CharField(label=_("Cấp ủy"), max_length=255)
    text = forms.CharField(label=_("Ý kiến của cấp ủy"), widget=forms.Textarea(attrs={"rows": 3}))
    document_ref = forms.CharField(label=_("Số, ký hiệu văn bản"), max_length=255, required=False)


class OverrideForm(forms.Form):
    value = forms.ChoiceField(label=_("Căn cứ"), choices=[])
    document_ref = forms.CharField(
        label=_("Số, ký hiệu văn bản (quyết định kỷ luật, kết luận)"), max_length=255
    )
    reason = forms.CharField(
        label=_("Ghi chú"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["value"].choices = [  # type: ignore[attr-defined]
            (_("Kỷ luật"), [(f"discipline:{v}", DISCIPLINE_LABELS[v]) for v in DISCIPLINE_LEVELS]),
            (
                _("Kết luận của cấp có thẩm quyền"),
                [(f"flag:{v}", FLAG_LABELS[v]) for v in OVERRIDE_FLAGS],
            ),
        ]

    def kind_value(self) -> tuple[str, str]:
        kind, _sep, value = self.cleaned_data["value"].partition(":")
        return (Override.Kind.DISCIPLINE if kind == "discipline" else Override.Kind.FLAG), value


class KpiForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput, max_length=80)
    target = DecimalField(label=_("Chỉ tiêu"), required=False, decimal_places=4)
    actual = DecimalField(label=_("Thực hiện"), required=False, decimal_places=4)
    evidence = forms.CharField(label=_("Minh chứng"), required=False, max_length=2000)


class GiveRatingForm(forms.Form):
    # No rating is preselected: a unit's rating is the authority's act, never a default.
    rating = forms.ChoiceField(
        label=_("Xếp loại đơn vị"),
        choices=[("", _("— Chọn xếp loại —")), *RATING_CHOICES],
        error_messages={"required": _("Chọn xếp loại của đơn vị: không có mức mặc định.")},
    )
    basis = forms.CharField(label=_("Căn cứ"), widget=forms.Textarea(attrs={"rows": 2}))


class GroupDecideForm(forms.Form):
    """Whom to move from excellent to good: the engine's proposals come pre-ticked, a tie
    is left for the authority; the service refuses a choice that breaks the quota."""

    demote = forms.TypedMultipleChoiceField(
        label=_("Hạ từ “Hoàn thành xuất sắc” xuống “Hoàn thành tốt”"),
        coerce=int,
        required=False,
        choices=[],
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, candidates: Iterable[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["demote"].choices = list(candidates)  # type: ignore[attr-defined]


class ExceptionForm(forms.Form):
    ratio = DecimalField(
        label=_("Tỷ lệ ngoại lệ (0,20–0,25; để trống để bỏ)"),
        required=False,
        decimal_places=4,
        min_value=0,
        max_value=1,
    )
    basis = forms.CharField(
        label=_("Căn cứ cho phép"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ComplaintForm(forms.Form):
    text = forms.CharField(
        label=_("Nội dung khiếu nại"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )


class AnswerForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Kết quả giải quyết"),
        choices=Complaint.Outcome.choices,
        widget=forms.RadioSelect,
    )
    new_rating = forms.ChoiceField(
        label=_("Xếp loại mới (khi thay đổi)"),
        choices=[("", "—"), *RATING_CHOICES],
        required=False,
    )
    answer = forms.CharField(
        label=_("Trả lời, nêu rõ lý do"), widget=forms.Textarea(attrs={"rows": 4})
    )


class AcceptReviewsForm(forms.Form):
    """The manager's comment for everyone reviewed at once from the queue and, when they
    score some general criteria the same for all, those scores and one reason."""

    comment = forms.CharField(
        label=_("Nhận xét chung"),
        max_length=2000,
        initial=_("Đồng ý với kết quả tự đánh giá."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": 60}),
    )
    reason = forms.CharField(
        label=_("Lý do chấm chung"),
        max_length=2000,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": 60}),
    )

    def __init__(self, *args: Any, nodes: Iterable[Node] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.nodes = list(nodes)
        for node in self.nodes:
            top = f"{float(node.scale.max):g}" if node.scale else ""
            field = _score_field(  # the top beside each box: there is no row to show it
                node,
                label=in_language(
                    f"{node.label_vi} (tối đa {vn_text(top)})", f"{node.label_en} (max {top})"
                ),
            )
            field.required = False
            self.fields[f"score_{node.key}"] = field

    def common_scores(self) -> dict[str, Any]:
        """The criteria scored the same for everyone (blank ones left to each person)."""
        return {
            n.key: self.cleaned_data[f"score_{n.key}"]
            for n in self.nodes
            if self.cleaned_data.get(f"score_{n.key}") is not None
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.data.get("common") and not self.errors:
            if not self.common_scores():
                raise forms.ValidationError(_("Chưa nhập điểm chung cho tiêu chí nào."))
            if not (data.get("reason") or "").strip():
                self.add_error("reason", _("Chấm chung phải nêu lý do."))
        return data


class ExcludeForm(forms.Form):
    """Why the ticked people are left out of the period (Decree 335 Art. 11 and 19)."""

    reason = forms.ChoiceField(
        label=_("Lý do không đánh giá"),
        choices=[("", _("— Chọn lý do —")), *Exclusion.Reason.choices],
    )
    since = _optional_date(_("Từ ngày (ngày tiếp nhận, ngày bắt đầu nghỉ)"))
    note = forms.CharField(
        label=_("Căn cứ, ghi chú"),
        max_length=1000,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": 60}),
    )
