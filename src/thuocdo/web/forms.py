from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from thuocdo.org.models import Assignment, JobPosition, Person, Unit


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Tên đăng nhập hoặc mật khẩu không đúng. Lưu ý: mật khẩu phân biệt chữ hoa, "
            "chữ thường; nhập sai nhiều lần liên tiếp, tài khoản sẽ bị tạm khoá."
        ),
        "inactive": _("Tài khoản này đã bị khoá. Vui lòng liên hệ Văn phòng."),
    }


class AuditFilterForm(forms.Form):
    q = forms.CharField(label=_("Tìm"), required=False)
    action = forms.CharField(label=_("Thao tác"), required=False)
    actor = forms.CharField(label=_("Người thực hiện"), required=False)
    date_from = forms.DateField(
        label=_("Từ ngày"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Đến ngày"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if isinstance(start, dt.date) and isinstance(end, dt.date) and start > end:
            raise forms.ValidationError(_("“Từ ngày” phải trước hoặc bằng “Đến ngày”."))
        return data


class MoveForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Đơn vị mới"), queryset=Unit.objects.none())
    job_position = forms.ModelChoiceField(
        label=_("Vị trí việc làm"), queryset=JobPosition.objects.none(), required=False
    )
    role = forms.ChoiceField(label=_("Chức vụ"), choices=Assignment.Role.choices)
    title = forms.CharField(label=_("Chức danh"), required=False, max_length=150)
    start_date = forms.DateField(
        label=_("Ngày nhận công tác"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("Căn cứ, lý do"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: object, agency: Unit, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["unit"].queryset = Unit.objects.filter(agency=agency)  # type: ignore[attr-defined]
        self.fields["job_position"].queryset = JobPosition.objects.filter(  # type: ignore[attr-defined]
            agency=agency, is_active=True
        )


class JoinForm(forms.Form):
    """A new person joining a unit (the personnel office's form)."""

    full_name = forms.CharField(label=_("Họ và tên"), max_length=150)
    code = forms.CharField(label=_("Mã cán bộ"), max_length=40)
    category = forms.ChoiceField(label=_("Đối tượng"), choices=Person.Category.choices)
    gender = forms.ChoiceField(
        label=_("Giới tính"), choices=[("", "—"), *Person.Gender.choices], required=False
    )
    birth_date = forms.DateField(
        label=_("Ngày sinh"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    email = forms.EmailField(label=_("Thư điện tử"), required=False)
    job_position = forms.ModelChoiceField(
        label=_("Vị trí việc làm"), queryset=JobPosition.objects.none(), required=False
    )
    role = forms.ChoiceField(label=_("Chức vụ"), choices=Assignment.Role.choices)
    title = forms.CharField(label=_("Chức danh"), required=False, max_length=150)
    start_date = forms.DateField(
        label=_("Ngày nhận công tác"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(
        label=_("Căn cứ (quyết định tuyển dụng, tiếp nhận…)"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: object, unit: Unit, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["job_position"].queryset = JobPosition.objects.filter(  # type: ignore[attr-defined]
            agency_id=unit.agency_id, is_active=True
        )


class UnitForm(forms.Form):
    code = forms.CharField(label=_("Mã đơn vị"), max_length=40)
    name = forms.CharField(label=_("Tên đơn vị"), max_length=255)
    name_en = forms.CharField(label=_("Tên tiếng Anh"), max_length=255, required=False)
    kind = forms.ChoiceField(
        label=_("Loại"),
        choices=[
            (Unit.Kind.DEPARTMENT, Unit.Kind.DEPARTMENT.label),
            (Unit.Kind.OFFICE, Unit.Kind.OFFICE.label),
        ],
    )
