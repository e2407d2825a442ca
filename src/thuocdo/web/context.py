from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from thuocdo.access import scope_for

ROLE_LABELS = {
    "operator": "Quản trị hệ thống",
    "leadership": "Lãnh đạo cơ quan",
    "unit_leader": "Lãnh đạo đơn vị",
    "personnel": "Tổ chức cán bộ",
    "auditor": "Thanh tra, kiểm tra",
    "official": "Cán bộ, công chức",
}


def shell(request: HttpRequest) -> dict[str, Any]:
    """What the base layout needs on every page: the viewer's roles for the menu."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_for(user)
    return {"scope": scope, "roles": scope.roles}
