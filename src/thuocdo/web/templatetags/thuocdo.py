"""Display helpers for templates: audit actions in words, unit names in the page language."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

register = template.Library()

ACTION_LABELS = {
    "auth.login": _("Đăng nhập"),
    "auth.logout": _("Đăng xuất"),
    "auth.login_failed": _("Đăng nhập không thành công"),
    "org.agency.create": _("Tạo cơ quan"),
    "org.unit.create": _("Tạo đơn vị"),
    "org.unit.update": _("Sửa đơn vị"),
    "org.person.create": _("Thêm cán bộ"),
    "org.person.update": _("Sửa hồ sơ cán bộ"),
    "org.person.set_login": _("Cấp tài khoản"),
    "org.person.transfer": _("Chuyển cơ quan"),
    "org.job_position.create": _("Tạo vị trí việc làm"),
    "org.assignment.start": _("Bắt đầu phân công"),
    "org.assignment.end": _("Kết thúc phân công"),
    "org.role.grant": _("Giao vai trò"),
    "org.role.revoke": _("Thu hồi vai trò"),
}


@register.filter
def action_label(code: str) -> str:
    """The action in words, falling back to its code for actions added later."""
    return str(ACTION_LABELS.get(code, code))


@register.filter
def unit_name(unit: Any) -> str:
    language = get_language() or "vi"
    return str(unit.display_name(language)) if hasattr(unit, "display_name") else str(unit)
