"""The audit log in words (issue 13): every action, field and coded value an auditor reads.

Entries store codes (`work.task.start`, `{"state": "assigned"}`) so that they never change
once written; this module says them in the page's language. Actions come from one table
here, with the task and period workflows read from their own tables; a field's coded value
is the label of its model field's choices. `tests/web/test_audit_words.py` walks every
action the code can write and every field the flows write, in both languages.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

from thuocdo.core import clock
from thuocdo.core.text import in_language, is_english
from thuocdo.evaluations import transitions as period_flow
from thuocdo.evaluations.models import RATING_CHOICES, Exclusion
from thuocdo.work import transitions as task_flow

Words = tuple[str, str]  # (Vietnamese, English)

OBJECTS: dict[str, Words] = {
    "auth": ("Tài khoản", "Account"),
    "org.agency": ("Cơ quan", "Agency"),
    "org.unit": ("Đơn vị", "Unit"),
    "org.person": ("Cán bộ", "Official"),
    "org.job_position": ("Vị trí việc làm", "Job position"),
    "org.assignment": ("Phân công", "Assignment"),
    "org.role": ("Vai trò", "Role"),
    "work.task": ("Nhiệm vụ", "Task"),
    "work.catalogue": ("Danh mục sản phẩm", "Product catalogue"),
    "work.product_type": ("Sản phẩm", "Product type"),
    "work.plan": ("Kế hoạch công tác", "Work plan"),
    "work.plan_item": ("Nội dung kế hoạch", "Plan item"),
    "work.exemption": ("Miễn trừ", "Exemption"),
    "evaluations.period": ("Kỳ đánh giá", "Evaluation period"),
    "evaluations.evaluation": ("Phiếu đánh giá", "Evaluation"),
    "evaluations.unit": ("Đánh giá đơn vị", "Unit evaluation"),
    "evaluations.unit_kpi": ("KPI đơn vị", "Unit KPI"),
    "evaluations.quota_group": ("Nhóm tính tỷ lệ", "Quota group"),
    "evaluations.override": ("Điều chỉnh xếp loại", "Rating override"),
    "evaluations.minutes": ("Biên bản họp", "Meeting minutes"),
    "evaluations.party_comment": ("Ý kiến cấp ủy", "Party committee's comment"),
    "evaluations.leave": ("Tháng nghỉ", "Leave month"),
    "evaluations.complaint": ("Khiếu nại", "Complaint"),
    "evaluations.whatif": ("Xem trước khung mới", "New framework preview"),
    "frameworks.version": ("Khung KPI", "KPI framework"),
    "jobs.job": ("Tiến trình nền", "Background job"),
    "api.client": ("Ứng dụng tích hợp", "Integration client"),
    "api.webhook": ("Webhook", "Webhook"),
}

# Verbs used by more than one object; an object's own workflow overrides them.
VERBS: dict[str, Words] = {
    "create": ("tạo mới", "created"),
    "update": ("sửa", "edited"),
    "add": ("thêm", "added"),
    "set": ("đặt", "set"),
    "start": ("bắt đầu", "started"),
    "end": ("kết thúc", "ended"),
    "grant": ("giao", "granted"),
    "revoke": ("thu hồi", "revoked"),
    "decide": ("quyết định", "decided"),
    "propose": ("đề xuất", "proposed"),
    "standardise": ("chuẩn hoá", "standardised"),
    "request": ("đề nghị", "requested"),
    "approve": ("chấp thuận", "approved"),
    "refuse": ("không chấp thuận", "refused"),
    "record": ("ghi nhận", "recorded"),
    "file": ("gửi", "filed"),
    "answer": ("trả lời", "answered"),
    "reopen": ("mở lại", "reopened"),
    "retry": ("chạy lại", "retried"),
    "import": ("nhập", "imported"),
    "publish": ("ban hành", "published"),
    "retire": ("thôi áp dụng", "retired"),
    "transfer": ("chuyển cơ quan", "transferred"),
    "exception": ("ngoại lệ", "exception"),
}

# Whole actions whose words are not object + verb.
ACTIONS: dict[str, Words] = {
    "auth.login": ("Đăng nhập", "Signed in"),
    "auth.logout": ("Đăng xuất", "Signed out"),
    "auth.login_failed": ("Đăng nhập không thành công", "Failed sign-in"),
    "org.agency.create": ("Tạo cơ quan", "Agency created"),
    "org.unit.create": ("Tạo đơn vị", "Unit created"),
    "org.unit.update": ("Sửa đơn vị", "Unit edited"),
    "org.person.create": ("Thêm cán bộ", "Official added"),
    "org.person.update": ("Sửa hồ sơ cán bộ", "Official's record edited"),
    "org.person.set_login": ("Cấp tài khoản", "Login given"),
    "org.person.email_notifications": (
        "Đổi cách nhận thông báo qua e-mail",
        "E-mail notifications switched",
    ),
    "org.person.transfer": ("Chuyển cơ quan", "Moved to another agency"),
    "org.job_position.create": ("Tạo vị trí việc làm", "Job position created"),
    "org.assignment.start": ("Bắt đầu phân công", "Assignment started"),
    "org.assignment.end": ("Kết thúc phân công", "Assignment ended"),
    "org.role.grant": ("Giao vai trò", "Role granted"),
    "org.role.revoke": ("Thu hồi vai trò", "Role revoked"),
    "work.task.assign": ("Nhiệm vụ: giao việc", "Task: assigned"),
    "work.task.extend": ("Nhiệm vụ: gia hạn", "Task: deadline extended"),
    "work.task.explain": ("Nhiệm vụ: giải trình", "Task: explanation given"),
    "work.task.exemption_approve": (
        "Nhiệm vụ: miễn trừ được chấp thuận",
        "Task: exemption approved",
    ),
    "work.task.exemption_refuse": (
        "Nhiệm vụ: miễn trừ không được chấp thuận",
        "Task: exemption refused",
    ),
    "evaluations.evaluation.self_assess": (
        "Phiếu đánh giá: tự đánh giá",
        "Evaluation: self-assessed",
    ),
    "evaluations.evaluation.review": (
        "Phiếu đánh giá: cấp trên nhận xét, đánh giá",
        "Evaluation: reviewed",
    ),
    "evaluations.period.remind_late": (
        "Kỳ đánh giá: nhắc những người trễ hạn",
        "Period: late people reminded",
    ),
    "evaluations.evaluation.review_many": (
        "Kỳ đánh giá: cấp trên đồng ý tự đánh giá của nhiều người",
        "Period: self-assessments accepted as the review for several people",
    ),
    "evaluations.evaluation.exclude": (
        "Phiếu đánh giá: không đánh giá người này trong kỳ",
        "Evaluation: person left out of the period",
    ),
    "evaluations.evaluation.include": (
        "Phiếu đánh giá: đưa người trở lại kỳ đánh giá",
        "Evaluation: person brought back into the period",
    ),
    "evaluations.evaluation.compile": ("Phiếu đánh giá: tổng hợp điểm", "Evaluation: compiled"),
    "evaluations.unit.give_rating": ("Đánh giá đơn vị: xếp loại", "Unit evaluation: rated"),
    "evaluations.period.deadlines": ("Kỳ đánh giá: đặt thời hạn", "Period: deadlines set"),
    "evaluations.period.compile": ("Kỳ đánh giá: tổng hợp điểm", "Period: compiled"),
    "evaluations.period.decide_all": (
        "Kỳ đánh giá: quyết định cả kỳ",
        "Period: all evaluations decided",
    ),
    "evaluations.whatif.run": (
        "Xem trước khung mới trên các kỳ đã quyết định",
        "New framework previewed over decided periods",
    ),
    "frameworks.version.update_draft": ("Khung KPI: sửa bản nháp", "KPI framework: draft edited"),
    "frameworks.version.mark_used": ("Khung KPI: bắt đầu được dùng", "KPI framework: first used"),
    "frameworks.version.draft_from": (
        "Khung KPI: tạo bản nháp từ khung đang áp dụng",
        "KPI framework: draft made from the version in force",
    ),
    "frameworks.version.edit_draft": ("Khung KPI: sửa bản nháp", "KPI framework: draft edited"),
    "frameworks.criteria_set.create": (
        "Bộ tiêu chí theo vị trí việc làm: xây dựng",
        "Criteria set per job position: made",
    ),
    "frameworks.criteria_set.edit": (
        "Bộ tiêu chí theo vị trí việc làm: điều chỉnh",
        "Criteria set per job position: tuned",
    ),
    "frameworks.criteria_set.delete": (
        "Bộ tiêu chí theo vị trí việc làm: bỏ",
        "Criteria set per job position: dropped",
    ),
    "frameworks.criteria_set.issue": (
        "Bộ tiêu chí theo vị trí việc làm: ban hành phiên bản để chấm điểm",
        "Criteria set per job position: version issued for scoring",
    ),
    "api.client.act_for": (
        "Ứng dụng tích hợp: đặt người được thay mặt",
        "Integration client: whom it acts for",
    ),
    "api.webhook.create": ("Webhook: đăng ký nhận sự kiện", "Webhook: subscribed"),
    "api.webhook.deactivate": ("Webhook: ngừng nhận sự kiện", "Webhook: stopped"),
    "api.webhook.replay": ("Webhook: gửi lại một sự kiện", "Webhook: delivery sent again"),
    "work.live.post": ("Điểm trực tiếp: ghi", "Live points: written"),
    "work.live.del": ("Điểm trực tiếp: xoá", "Live points: removed"),
}


def _pick(words: Words) -> str:
    return in_language(*words)


def _period_step(code: str) -> Words | None:
    found = period_flow.ACTIONS.get(code) or (
        period_flow.REOPEN if code == period_flow.REOPEN.code else None
    )
    return (found.label_vi, found.label_en) if found is not None else None


def _workflow_verb(obj: str, verb: str) -> Words | None:
    if obj == "work.task" and verb in task_flow.ACTIONS:
        action = task_flow.ACTIONS[verb]
        return action.label_vi, action.label_en
    if obj == "evaluations.period":
        return _period_step(verb)
    return None


def action_words(code: str) -> Words | None:
    """(Vietnamese, English) for an action code, or None when nobody named it."""
    if code in ACTIONS:
        return ACTIONS[code]
    obj, _, verb = code.rpartition(".")
    if obj not in OBJECTS:
        return None
    words = _workflow_verb(obj, verb) or VERBS.get(verb)
    if words is None:
        return None
    return f"{OBJECTS[obj][0]}: {words[0]}", f"{OBJECTS[obj][1]}: {words[1]}"


def action_label(code: str) -> str:
    """The action in the page's language; an action nobody named shows its code."""
    words = action_words(code)
    return _pick(words) if words else code


# Field names in before/after, shared across objects where the meaning is the same.
FIELDS: dict[str, Words] = {
    "agency": ("Cơ quan", "Agency"),
    "unit": ("Đơn vị", "Unit"),
    "parent": ("Đơn vị cấp trên", "Parent unit"),
    "code": ("Mã", "Code"),
    "name": ("Tên", "Name"),
    "name_en": ("Tên tiếng Anh", "English name"),
    "short_name": ("Tên viết tắt", "Short name"),
    "kind": ("Loại", "Kind"),
    "sort_order": ("Thứ tự", "Order"),
    "valid_from": ("Hiệu lực từ", "Valid from"),
    "valid_to": ("Hiệu lực đến", "Valid to"),
    "person": ("Cán bộ", "Official"),
    "full_name": ("Họ và tên", "Full name"),
    "gender": ("Giới tính", "Gender"),
    "birth_date": ("Ngày sinh", "Date of birth"),
    "category": ("Đối tượng", "Category"),
    "email": ("Thư điện tử", "E-mail"),
    "phone": ("Điện thoại", "Phone"),
    "is_active": ("Đang hoạt động", "Active"),
    "user": ("Tài khoản", "Login"),
    "username": ("Tên đăng nhập", "Username"),
    "password_set": ("Đã đặt mật khẩu", "Password set"),
    "role": ("Vai trò", "Role"),
    "title": ("Tên", "Title"),
    "description": ("Mô tả", "Description"),
    "start_date": ("Ngày bắt đầu", "Start date"),
    "end_date": ("Ngày kết thúc", "End date"),
    "is_concurrent": ("Kiêm nhiệm", "Concurrent"),
    "job_position": ("Vị trí việc làm", "Job position"),
    "is_leadership": ("Vị trí lãnh đạo", "Leadership position"),
    "assigned_fields": ("Lĩnh vực được giao", "Assigned fields"),
    "copied_from": ("Sao từ phiên bản", "Copied from version"),
    "number": ("Số", "Number"),
    "status": ("Trạng thái", "Status"),
    "state": ("Trạng thái", "State"),
    "event": ("Sự kiện", "Event"),
    "subject": ("Nội dung miễn trừ", "Exempted"),
    "task": ("Nhiệm vụ", "Task"),
    "year": ("Năm", "Year"),
    "month": ("Tháng", "Month"),
    "frequency": ("Kỳ", "Frequency"),
    "period_number": ("Số kỳ", "Period number"),
    "plan": ("Kế hoạch", "Plan"),
    "plan_item": ("Nội dung kế hoạch", "Plan item"),
    "product_type": ("Sản phẩm", "Product type"),
    "target_quantity": ("Chỉ tiêu", "Target"),
    "coefficient": ("Hệ số", "Coefficient"),
    "complexity_group": ("Nhóm độ phức tạp", "Complexity group"),
    "unit_of_measure": ("Đơn vị tính", "Unit of measure"),
    "assigned_on": ("Ngày giao", "Assigned on"),
    "assigner": ("Người giao", "Assigned by"),
    "owner": ("Người thực hiện", "Owner"),
    "closed_reason": ("Lý do kết thúc", "Reason closed"),
    "completed_on": ("Ngày hoàn thành", "Completed on"),
    "deadline": ("Hạn hoàn thành", "Deadline"),
    "effective_deadline": ("Hạn sau gia hạn", "Deadline after extensions"),
    "delays": ("Số lần chậm", "Delays"),
    "failures": ("Số lần lỗi lớn", "Major errors"),
    "exempt_delays": ("Lần chậm được miễn", "Exempted delays"),
    "exempt_failures": ("Lỗi lớn được miễn", "Exempted errors"),
    "done_quantity": ("Khối lượng hoàn thành", "Quantity done"),
    "quantity": ("Khối lượng", "Quantity"),
    "extra": ("Nhiệm vụ phát sinh", "Arising"),
    "taken_over_from": ("Tiếp nhận từ", "Taken over from"),
    "version": ("Phiên bản", "Version"),
    "period": ("Kỳ đánh giá", "Period"),
    "evaluation": ("Phiếu đánh giá", "Evaluation"),
    "evaluations": ("Số phiếu", "Evaluations"),
    "framework": ("Khung KPI", "Framework"),
    "periods": ("Các kỳ đánh giá", "Periods"),
    "framework_key": ("Khung KPI", "Framework"),
    "points": ("Điểm", "Points"),
    "rating": ("Xếp loại", "Rating"),
    "result": ("Kết quả", "Result"),
    "final": ("Kết quả cuối cùng", "Final result"),
    "scores": ("Điểm các tiêu chí", "Criterion scores"),
    "self_score": ("Điểm tự chấm", "Self score"),
    "changes": ("Điểm đã sửa", "Changed scores"),
    "comment": ("Nhận xét", "Comment"),
    "on_behalf_of": ("Nhập thay cho", "Entered on behalf of"),
    "reminded": ("Số người được nhắc", "People reminded"),
    "late_people": ("Số người trễ hạn", "People late"),
    "evidence": ("Minh chứng", "Evidence"),
    "from": ("Từ", "From"),
    "to": ("Sang", "To"),
    "deadlines": ("Thời hạn", "Deadlines"),
    "compiled": ("Số phiếu đã tổng hợp", "Compiled"),
    "group": ("Nhóm tính tỷ lệ", "Quota group"),
    "groups": ("Các nhóm tính tỷ lệ", "Quota groups"),
    "members": ("Thành viên", "Members"),
    "ratio": ("Tỷ lệ", "Ratio"),
    "demoted": ("Bị hạ mức", "Demoted"),
    "chosen_demotions": ("Người bị hạ mức", "Demoted officials"),
    "committee": ("Cấp ủy", "Committee"),
    "document_ref": ("Số văn bản", "Document"),
    "value": ("Giá trị", "Value"),
    "held_on": ("Ngày họp", "Held on"),
    "attendees": ("Người dự", "Attendees"),
    "present": ("Có mặt", "Present"),
    "total_members": ("Tổng số thành viên", "Members in all"),
    "answer_due": ("Hạn trả lời", "Answer due"),
    "outcome": ("Kết quả giải quyết", "Outcome"),
    "late": ("Trả lời muộn", "Answered late"),
    "text": ("Nội dung", "Text"),
    "note": ("Ghi chú", "Note"),
    "exclusion_reason": ("Lý do không đánh giá", "Reason for leaving out"),
    "since": ("Từ ngày", "Since"),
    "leave_month": ("Đã ghi tháng nghỉ", "Leave month recorded"),
    "key": ("Mã khung", "Key"),
    "first_used_at": ("Dùng lần đầu lúc", "First used at"),
    "target": ("Đối tượng xử lý", "Target"),
    "scopes": ("Phạm vi", "Scopes"),
    "token_prefix": ("Tiền tố mã truy cập", "Token prefix"),
    "act_for_units": ("Thay mặt các đơn vị", "Acts for units"),
    "act_for_people": ("Thay mặt các cán bộ", "Acts for officials"),
    "attempt": ("Lần chạy", "Attempt"),
    "client": ("Ứng dụng tích hợp", "Integration client"),
    "url": ("Địa chỉ nhận", "Receiving URL"),
    "events": ("Sự kiện", "Events"),
    "delivery": ("Lần gửi", "Delivery"),
    "attempts": ("Số lần đã gửi", "Attempts made"),
    "rule": ("Quy tắc", "Rule"),
    "rates": ("Tỷ lệ", "Rates"),
    "approved": ("Được chấp thuận", "Approved"),
    "reason": ("Lý do", "Reason"),
    "recorded_by": ("Người ghi", "Recorded by"),
    "recorded_at": ("Ghi lúc", "Recorded at"),
    "replaced": ("Thay cho", "Replaced"),
    "actual": ("Thực hiện", "Actual"),
    "total": ("Tổng", "Total"),
    "left": ("Còn lại", "Left"),
    "task_facts": ("Số liệu nhiệm vụ", "Task facts"),
    "complaint_days": ("Số ngày khiếu nại", "Complaint days"),
    "party_committee_step": ("Bước lấy ý kiến cấp ủy", "Party committee step"),
    "acting_head_rule": ("Quy tắc cấp phó phụ trách", "Acting head rule"),
    "limited_rating": ("Mức bị giới hạn tỷ lệ", "Rating under the quota"),
    "base_rating": ("Mức hạ xuống", "Rating demoted to"),
    "before": ("Trước khi áp tỷ lệ", "Before the quota"),
    "after": ("Sau khi áp tỷ lệ", "After the quota"),
    "allowed_after": ("Số được phép", "Allowed"),
    "holds_before": ("Đạt tỷ lệ trước khi hạ", "Within the quota before"),
    "holds_after": ("Đạt tỷ lệ sau khi hạ", "Within the quota after"),
    "demotion_count": ("Số người phải hạ mức", "Demotions needed"),
    "demotions": ("Đề xuất hạ mức", "Proposed demotions"),
    "ties": ("Bằng điểm ở ngưỡng", "Ties at the cut"),
    "collaborators": ("Người phối hợp", "Collaborators"),
    "content_hash": ("Mã băm nội dung", "Content hash"),
    "revision": ("Lần sửa", "Revision"),
    "edits": ("Các thay đổi", "Edits"),
    "source": ("Bản gốc (số hiệu)", "Source (id)"),
    "source_version": ("Phiên bản gốc", "Source version"),
    "created": ("Số phiếu tạo mới", "Created"),
    "notified": ("Đã thông báo", "Notified"),
    "published_at": ("Ban hành lúc", "Published at"),
    "retired_at": ("Thôi áp dụng lúc", "Retired at"),
    "base": ("Khung gốc (số hiệu)", "Base framework (id)"),
    "weights": ("Trọng số điều chỉnh", "Weights tuned"),
    "removed": ("Tiêu chí bỏ", "Criteria left out"),
    "added": ("Tiêu chí thêm", "Criteria added"),
    "criteria_set": ("Bộ tiêu chí (số hiệu)", "Criteria set (id)"),
    "criteria_sets": ("Số bộ tiêu chí mang theo", "Criteria sets carried"),
    "weight_range": ("Khoảng trọng số cho phép", "Allowed weight range"),
    "allow_additions": ("Đơn vị được thêm tiêu chí", "Units may add criteria"),
}


def field_label(key: str) -> str:
    words = FIELDS.get(key)
    return _pick(words) if words else key


def _rating_label(value: Any) -> str | None:
    """A rating code wherever it stands (a value, or a key of a distribution)."""
    for code, label in RATING_CHOICES:
        if code == value:
            return str(label)
    return None


_GROUP = re.compile(r"^unit:(.+)$")


def _group_label(value: Any) -> str | None:
    """A quota group made for a unit is coded `unit:<unit code>`."""
    found = _GROUP.match(value) if isinstance(value, str) else None
    if found is None:
        return None
    return f"Unit {found.group(1)}" if is_english() else f"Đơn vị {found.group(1)}"


def _model(object_type: str) -> Any:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _choice_label(object_type: str, key: str, value: Any) -> str | None:
    """The label of a coded value, from the choices of the object's field of that name
    (`from` and `to` are states); a reference to another object as its number."""
    model = _model(object_type)
    if model is None:
        return None
    name = "state" if key in ("from", "to") else key
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if field.is_relation and isinstance(value, int) and not isinstance(value, bool):
        return f"#{value}"
    for choice, label in getattr(field, "choices", None) or ():
        if choice == value:
            return str(label)
    return None


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_DECIMAL = re.compile(r"^-?\d+\.\d+$")


def _plain(value: Any) -> str:
    english = is_english()
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return ("yes" if value else "no") if english else ("có" if value else "không")
    if isinstance(value, str):
        if _DATE.match(value):
            day = dt.date.fromisoformat(value)
            return day.isoformat() if english else day.strftime("%d/%m/%Y")
        if _MOMENT.match(value):
            try:
                moment = clock.local(dt.datetime.fromisoformat(value))
            except ValueError:
                return value
            return f"{moment:%Y-%m-%d %H:%M}" if english else f"{moment:%d/%m/%Y %H:%M}"
        if _DECIMAL.match(value):
            try:
                Decimal(value)
            except InvalidOperation:
                return value
            return value if english else value.replace(".", ",")
    return str(value)


def value_text(object_type: str, key: str, value: Any) -> str:
    """A stored value as the page shows it: choice labels, local dates, decimal commas."""
    if isinstance(value, list):
        return ", ".join(value_text(object_type, key, item) for item in value) or "—"
    if isinstance(value, dict):
        return "; ".join(
            f"{_key_label(str(k))}: {value_text(object_type, str(k), v)}" for k, v in value.items()
        )
    label = _choice_label(object_type, key, value)
    if label is None and key.endswith("rating"):
        label = _rating_label(value)
    if label is None and key == "group":
        label = _group_label(value)
    if label is None and key == "exclusion_reason" and value in Exclusion.Reason.values:
        label = str(Exclusion.Reason(value).label)
    if label is not None:
        return label
    return _plain(value)


def _key_label(key: str) -> str:
    """A key inside a stored dict: a field, or a rating (a distribution's counts)."""
    if key in FIELDS:
        return field_label(key)
    return _rating_label(key) or key


def changes(object_type: str, values: Any) -> list[tuple[str, str]]:
    """(field in words, value in words) for each key of a before/after dict."""
    if not isinstance(values, dict):
        return [] if values in (None, "") else [("", _plain(values))]
    return [(field_label(str(k)), value_text(object_type, str(k), v)) for k, v in values.items()]


def channel_label(channel: str) -> str:
    """Where an action came from: "web", "api:<id>:<client>", "cli:<command>", "system",
    "job:<kind>" as words (a command and a client's name stay: they are names)."""
    english = is_english()
    kind, _, rest = channel.partition(":")
    if kind == "web":
        return "Web"
    if kind == "system":
        return "System" if english else "Hệ thống"
    if kind == "api":
        name = rest.partition(":")[2] or rest
        return f"API: {name}" if name else "API"
    if kind == "cli":
        return f"Command line: {rest}" if english else f"Dòng lệnh: {rest}"
    if kind == "job":
        return "Background job" if english else "Tiến trình nền"
    return channel


def period_step_label(code: str) -> str:
    """A step of the period workflow ("start_review") in words."""
    words = _period_step(code)
    return _pick(words) if words else code
