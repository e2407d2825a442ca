"""Tasks: one task per row with what happened to it; the natural key is (agency, *Mã nhiệm
vụ (hệ thống nguồn)*), stored as `Task.external_ref`.

Only new tasks are created. A row whose id is already known is unchanged when it says the
same as the stored task, else refused (“đã có, không sửa qua Excel”): the workflow, not a
spreadsheet, changes a task. `#123` names Thước đo's own task 123 (the export writes it for
tasks that were not imported).

A new task's row becomes a `Story` for `thuocdo.work.history.tasks_record_history`, which
replays it through the same transition table and delay rule as the services and writes
tasks, events and audit entries with bulk inserts. Planning reads everything it needs in a
handful of queries (people and their logins, assignments, decided products, plan items,
known ids), whatever the number of rows.

How a row becomes steps (owner = the owner's login, reviewer = the assigner's login):

- *Trạng thái* is the state reached (blank: Đã giao); *Số lần trả lại vì lỗi lớn* is n.
- Submissions: Đã nộp sản phẩm 1; Bị trả lại n; Đã nộp lại and Đã nghiệm thu n + 1;
  Trả lại nhiệm vụ n; Đã huỷ n + 1 when *Ngày nộp lần đầu* is given, else none.
- The first submission is dated *Ngày nộp lần đầu* (for Đã nghiệm thu, blank means the
  completion date); the last one *Ngày nộp lần cuối*; those in between the first date.
  Each of the first n submissions is followed, the same day, by a return for a major error.
  So delays come out as the services count them: a submission after the deadline is late,
  and under `per_days` the last submission fixes the total.
- Đang thực hiện adds “start” on the assignment day; Đã nghiệm thu adds “accept” (with
  *Khối lượng hoàn thành*, default all of it), Trả lại nhiệm vụ “hand back”, Đã huỷ
  “cancel”, each dated *Ngày nghiệm thu / kết thúc* (the last two need *Lý do*).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_noop

from thuocdo.core import clock
from thuocdo.core.errors import ThuocDoError, ValidationFailed
from thuocdo.core.models import User
from thuocdo.core.text import fold
from thuocdo.imports.catalogue import (
    decided_products,
    label_of,
    labelled,
    plain,
    product_choices,
)
from thuocdo.imports.columns import Choice, Column
from thuocdo.imports.errors import RowError
from thuocdo.imports.framework import (
    ANYONE,
    Actor,
    ImportKind,
    LaterChanges,
    ParsedRow,
    RowPlan,
    Step,
    Write,
    changes_of,
)
from thuocdo.imports.plans import title_key, unit_choices
from thuocdo.org.models import Assignment, Person, Unit
from thuocdo.work.history import Step as Act
from thuocdo.work.history import Story, tasks_record_history
from thuocdo.work.models import PlanItem, ProductType, Task, TaskEvent

BATCH = 2000
S = Task.State
RETURN_REASON = "Trả lại vì lỗi lớn về nội dung (dữ liệu nhập từ Excel)."


def people_choices(agency: Unit) -> list[Choice]:
    people = Person.objects.filter(agency=agency).only("code", "full_name").order_by("code")
    return [
        Choice(label=p.code, value=p.pk, aliases=(p.full_name,), note=p.full_name) for p in people
    ]


def kind_choices(agency: Unit) -> list[Choice]:
    # Short forms people write (and docs/excel.md lists): “phát sinh”, “theo kế hoạch”,
    # “khác”; matched without case or diacritics like every label.
    short = {
        Task.Kind.PLANNED: ("theo kế hoạch", "kế hoạch"),
        Task.Kind.ARISING: ("phát sinh",),
        Task.Kind.OTHER: ("khác", "khác được giao"),
    }
    return [
        Choice(c.label, c.value, (*c.aliases, *short.get(c.value, ())), c.note)
        for c in labelled(Task.Kind)
    ]


def extra_choices(agency: Unit) -> list[Choice]:
    return labelled(Task.Extra)


def state_choices(agency: Unit) -> list[Choice]:
    choices = labelled(Task.State)
    # Short forms people write: “Đã nộp”, “Bị trả lại”.
    extra = {S.SUBMITTED: ("Đã nộp",), S.RETURNED: ("Bị trả lại", "Trả lại vì lỗi lớn")}
    return [
        Choice(c.label, c.value, (*c.aliases, *extra.get(c.value, ())), c.note) for c in choices
    ]


COLUMNS = (
    Column(
        "external_ref",
        "Mã nhiệm vụ (hệ thống nguồn)",
        "Task id (source system)",
        required=True,
        width=18,
        note_vi="Mã duy nhất trong cơ quan, do hệ thống nguồn (hoặc người lập tệp) đặt; nhập "
        "lại cùng mã không tạo nhiệm vụ mới. “#123” là nhiệm vụ số 123 của Thước đo.",
    ),
    Column(
        "owner",
        "Mã người thực hiện",
        "Owner's staff code",
        "choice",
        required=True,
        choices=people_choices,
        width=14,
    ),
    Column(
        "assigner",
        "Mã người giao",
        "Assigner's staff code",
        "choice",
        required=True,
        choices=people_choices,
        width=14,
        note_vi="Lãnh đạo đơn vị của người thực hiện (hoặc cấp trên) vào ngày giao; phải có "
        "tài khoản đăng nhập.",
    ),
    Column(
        "kind", "Loại nhiệm vụ", "Kind", "choice", required=True, choices=kind_choices, width=24
    ),
    Column("extra", "Làm thêm", "Extra work", "choice", choices=extra_choices, width=22),
    Column(
        "title",
        "Tên nhiệm vụ",
        "Title",
        required=True,
        width=40,
        max_length=Task._meta.get_field("title").max_length,
    ),
    Column(
        "product_type",
        "Mã sản phẩm",
        "Product code",
        "choice",
        choices=product_choices,
        width=12,
        note_vi="Mã sản phẩm trong danh mục đã được quyết định (danh mục theo vị trí việc làm "
        "của người thực hiện, nếu có, rồi danh mục toàn cơ quan). Nhiệm vụ theo kế hoạch để "
        "trống: lấy sản phẩm của nội dung kế hoạch.",
    ),
    Column(
        "quantity",
        "Số lượng",
        "Quantity",
        "decimal",
        width=9,
        note_vi="Lớn hơn 0, tối đa 2 chữ số thập phân; để trống: 1.",
    ),
    Column("deadline", "Hạn hoàn thành", "Deadline", "date", required=True, width=13),
    Column(
        "assigned_on",
        "Ngày giao",
        "Assigned on",
        "date",
        width=13,
        note_vi="Để trống: ngày nhập.",
    ),
    Column(
        "plan_unit",
        "Đơn vị có kế hoạch",
        "Plan unit",
        "choice",
        choices=unit_choices,
        width=12,
        note_vi="Chỉ cho nhiệm vụ theo kế hoạch; để trống: đơn vị của người thực hiện.",
    ),
    Column(
        "plan_year",
        "Năm kế hoạch",
        "Plan year",
        "integer",
        width=9,
        note_vi="Để trống: năm của hạn hoàn thành.",
    ),
    Column(
        "plan_period",
        "Kỳ kế hoạch",
        "Plan period",
        width=11,
        note_vi="Ví dụ “Tháng 3” hoặc “Quý 2” (cũng nhận “T3”, “Q2”).",
    ),
    Column(
        "plan_item",
        "Nội dung kế hoạch",
        "Plan item",
        width=30,
        note_vi="Bắt buộc với nhiệm vụ theo kế hoạch: nội dung đúng như trong kế hoạch.",
        max_length=PlanItem._meta.get_field("title").max_length,
    ),
    Column(
        "state",
        "Trạng thái",
        "State",
        "choice",
        choices=state_choices,
        width=20,
        note_vi="Trạng thái đã đạt tới; để trống: Đã giao.",
    ),
    Column("first_submitted", "Ngày nộp lần đầu", "First submitted on", "date", width=13),
    Column(
        "returns",
        "Số lần trả lại vì lỗi lớn",
        "Returns for major errors",
        "integer",
        width=10,
        note_vi="Số lần sản phẩm bị trả lại vì lỗi lớn về nội dung; để trống: 0.",
    ),
    Column(
        "last_submitted",
        "Ngày nộp lần cuối",
        "Last submitted on",
        "date",
        width=13,
        note_vi="Bắt buộc khi đã nộp lại (có lần trả lại rồi nộp tiếp).",
    ),
    Column(
        "done_quantity",
        "Khối lượng hoàn thành",
        "Done quantity",
        "decimal",
        width=10,
        note_vi="Chỉ khi đã nghiệm thu; để trống: toàn bộ số lượng.",
    ),
    Column(
        "closed_on",
        "Ngày nghiệm thu / kết thúc",
        "Accepted / closed on",
        "date",
        width=13,
        note_vi="Ngày nghiệm thu, trả lại nhiệm vụ hoặc huỷ.",
    ),
    Column(
        "reason",
        "Lý do",
        "Reason",
        width=30,
        note_vi="Bắt buộc khi trả lại nhiệm vụ hoặc huỷ.",
    ),
)

_PERIOD = re.compile(r"^(thang|t|month|m|quy|q|quarter)\s*\.?\s*(\d{1,2})$")


def parse_period(text: str) -> tuple[str, int] | None:
    match = _PERIOD.match(fold(text))
    if match is None:
        return None
    word, number = match.groups()
    frequency = PlanItem.Frequency.QUARTER if word.startswith("q") else PlanItem.Frequency.MONTH
    return frequency, int(number)


def period_text(frequency: str, number: int) -> str:
    return f"{label_of(PlanItem.Frequency, frequency)} {number}"


# How many submissions and returns each state reached implies (see the module docstring).
CLOSING: dict[str, str] = {S.ACCEPTED: "accept", S.HANDED_BACK: "hand_back", S.CANCELLED: "cancel"}


def submissions(state: str, returns: int, first_given: bool) -> int:
    if state in (S.ASSIGNED, S.IN_PROGRESS):
        return 0
    if state == S.SUBMITTED:
        return 1
    if state in (S.RETURNED, S.HANDED_BACK):
        return returns
    if state == S.CANCELLED:
        return returns + 1 if first_given else 0
    return returns + 1  # resubmitted, accepted


@dataclass
class _Person:
    pk: int
    code: str
    person: Person
    user: User | None
    active: bool


class _Assignments:
    """Main assignments and leading roles of the agency, read once."""

    def __init__(self, agency: Unit) -> None:
        self.main: dict[int, list[Assignment]] = defaultdict(list)
        self.leading: dict[int, list[Assignment]] = defaultdict(list)
        for a in Assignment.objects.filter(person__agency=agency).select_related("unit"):
            if not a.is_concurrent:
                self.main[a.person_id].append(a)
            if a.role in Assignment.LEADING_ROLES:
                self.leading[a.person_id].append(a)

    @staticmethod
    def _on(a: Assignment, day: dt.date) -> bool:
        return a.start_date <= day and (a.end_date is None or a.end_date >= day)

    def home(self, person_id: int, day: dt.date) -> Assignment | None:
        found = [a for a in self.main[person_id] if self._on(a, day)]
        return max(found, key=lambda a: a.start_date) if found else None

    def leads(self, person_id: int, unit: Unit, day: dt.date) -> bool:
        return any(
            unit.path.startswith(a.unit.path) and self._on(a, day) for a in self.leading[person_id]
        )


class TaskKind(ImportKind):
    code = "tasks"
    title_vi = gettext_noop("Nhiệm vụ")
    title_en = "Tasks"
    sheet_name = "Nhiệm vụ"
    row_noun_vi = "nhiệm vụ"
    columns = COLUMNS
    key = ("external_ref",)
    instructions_vi = (
        "Mỗi dòng là một nhiệm vụ đã giao và diễn biến của nó; nhiệm vụ được nhận ra theo "
        "“Mã nhiệm vụ (hệ thống nguồn)”. Chỉ nhiệm vụ mới được thêm; nhiệm vụ đã có không "
        "sửa qua Excel.",
        "Trạng thái là trạng thái đã đạt tới. Số lần nộp suy ra từ trạng thái và số lần trả "
        "lại: lần nộp đầu ghi ngày nộp lần đầu, lần nộp cuối ghi ngày nộp lần cuối; mỗi lần "
        "trả lại tính một lỗi lớn, mỗi lần nộp sau hạn tính chậm tiến độ như khi làm trên "
        "Thước đo.",
        "Người thực hiện (khi nhiệm vụ đã có diễn biến) và người giao phải có tài khoản đăng "
        "nhập: diễn biến được ghi dưới tên họ.",
    )

    def max_rows(self) -> int:
        return int(getattr(settings, "IMPORTS_MAX_ROWS_TASKS", 200_000))

    # --- planning --------------------------------------------------------------------------

    def plan_rows(
        self,
        agency: Unit,
        rows: list[ParsedRow],
        errors: list[RowError],
        *,
        reason: str,
        actor: Actor = ANYONE,
    ) -> list[RowPlan]:
        people = {
            p.pk: _Person(p.pk, p.code, p, p.user, p.is_active)
            for p in Person.objects.filter(agency=agency).select_related("user")
        }
        assignments = _Assignments(agency)
        products = decided_products(agency)
        items: dict[tuple[int, int, str, int, str], PlanItem] = {}
        for item in PlanItem.objects.filter(plan__unit__agency=agency).select_related(
            "plan", "product_type"
        ):
            key = (
                item.plan.unit_id,
                item.plan.year,
                item.frequency,
                item.period_number,
                title_key(item.title),
            )
            items.setdefault(key, item)
        known = self._known(agency, rows)
        today = clock.today()
        planned: list[RowPlan] = []
        stories: list[tuple[int, Story]] = []  # (index in planned, story)
        for row in rows:
            before = len(errors)
            context = _Row(self, row, errors, people, assignments, products, items, today)
            ref = row.values["external_ref"]
            existing = known.get(ref)
            if ref.startswith("#") and existing is None:
                context.fail(
                    "external_ref",
                    "Không có nhiệm vụ này trong Thước đo (mã bắt đầu bằng “#” là số của "
                    "Thước đo).",
                    "There is no such Thước đo task (ids starting with “#” are Thước đo's).",
                )
                continue
            if len(ref) > 100:
                context.fail("external_ref", "Dài quá 100 ký tự.", "Longer than 100 characters.")
                continue
            if existing is not None:
                context.compare(existing)
                if len(errors) == before:
                    planned.append(RowPlan(row=row.row, key=ref, label=row.values["title"]))
                continue
            story = context.story(reason)
            if story is None or len(errors) > before:
                continue
            planned.append(
                RowPlan(
                    row=row.row,
                    key=ref,
                    label=story.title,
                    steps=[Step("create", changes=LaterChanges(partial(context.shown, story)))],
                )
            )
            stories.append((len(planned) - 1, story))
        self._batch(planned, stories)
        return planned

    def _known(self, agency: Unit, rows: list[ParsedRow]) -> dict[str, dict[str, Any]]:
        fields = (
            "pk",
            "external_ref",
            "owner_id",
            "assigner_id",
            "kind",
            "extra",
            "title",
            "product_type__code",
            "plan_item_id",
            "quantity",
            "deadline",
            "assigned_on",
            "state",
            "failures",
            "done_quantity",
            "completed_on",
        )
        refs = {row.values["external_ref"] for row in rows}
        known: dict[str, dict[str, Any]] = {}
        tasks = Task.objects.filter(agency=agency, external_ref__isnull=False).values(*fields)
        for task in tasks.iterator(chunk_size=5000):
            if task["external_ref"] in refs:
                known[task["external_ref"]] = task
        ids = sorted(int(ref[1:]) for ref in refs if ref.startswith("#") and ref[1:].isdigit())
        for start in range(0, len(ids), 500):
            for task in Task.objects.filter(agency=agency, pk__in=ids[start : start + 500]).values(
                *fields
            ):
                known[f"#{task['pk']}"] = task
        return known

    def _batch(self, planned: list[RowPlan], stories: list[tuple[int, Story]]) -> None:
        """Each new row gets one write so progress counts rows; the last row of every
        batch of BATCH writes the batch through `tasks_record_history`."""
        for start in range(0, len(stories), BATCH):
            chunk = stories[start : start + BATCH]
            for position, (index, _) in enumerate(chunk):
                step = planned[index].steps[0]
                if position < len(chunk) - 1:
                    step.writes.append(Write(0, _nothing))
                else:
                    rows = [planned[i].row for i, _ in chunk]
                    step.writes.append(Write(0, _record([s for _, s in chunk], rows)))

    # --- export ----------------------------------------------------------------------------

    def export_total(self, agency: Unit) -> int:
        return Task.objects.filter(agency=agency).count()

    def export_rows(self, agency: Unit) -> Iterable[dict[str, Any]]:
        submitted: dict[int, list[dt.date]] = defaultdict(list)
        closed: dict[int, dt.date] = {}
        events = TaskEvent.objects.filter(
            task__agency=agency, action__in=("submit", "resubmit", "accept", "hand_back", "cancel")
        ).order_by("task_id", "at", "id")
        for task_id, action, at in events.values_list("task_id", "action", "at").iterator(
            chunk_size=5000
        ):
            day = clock.local_date(at)
            if action in ("submit", "resubmit"):
                submitted[task_id].append(day)
            else:
                closed[task_id] = day
        tasks = (
            Task.objects.filter(agency=agency)
            .select_related("product_type", "plan_item__plan__unit")
            .order_by("assigned_on", "pk")
        )
        for task in tasks.iterator(chunk_size=2000):
            item = task.plan_item
            days = submitted.get(task.pk, [])
            yield {
                "external_ref": task.external_ref or f"#{task.pk}",
                "owner": task.owner_id,
                "assigner": task.assigner_id,
                "kind": task.kind,
                "extra": task.extra or None,
                "title": task.title,
                "product_type": task.product_type.code if task.product_type else None,
                "quantity": task.quantity,
                "deadline": task.deadline,
                "assigned_on": task.assigned_on,
                "plan_unit": item.plan.unit if item else None,
                "plan_year": item.plan.year if item else None,
                "plan_period": period_text(item.frequency, item.period_number) if item else None,
                "plan_item": item.title if item else None,
                "state": task.state,
                "first_submitted": days[0] if days else None,
                "returns": task.failures,
                "last_submitted": days[-1] if len(days) > 1 else None,
                "done_quantity": task.done_quantity,
                "closed_on": closed.get(task.pk),
                "reason": task.closed_reason or None,
            }


def _nothing(actor: User | None) -> None:
    return None


_INDEX = re.compile(r"^Nhiệm vụ thứ (\d+) ")


def _record(stories: list[Story], rows: list[int]) -> Any:
    def run(actor: User | None) -> None:
        try:
            tasks_record_history(stories=stories)
        except ThuocDoError as error:
            match = _INDEX.match(error.message_vi)
            row = rows[int(match.group(1)) - 1] if match else rows[-1]
            cause = error.__cause__ if isinstance(error.__cause__, ThuocDoError) else error
            raise ValidationFailed(
                f"Dòng {row}: {cause.message_vi}",
                f"Row {row}: {cause.message_en}",
                field=cause.field,
            ) from error

    return run


class _Row:
    """One row's checks and its story; every broken rule is appended to `errors`."""

    def __init__(
        self,
        kind: TaskKind,
        row: ParsedRow,
        errors: list[RowError],
        people: dict[int, _Person],
        assignments: _Assignments,
        products: dict[int | None, dict[str, ProductType]],
        items: dict[tuple[int, int, str, int, str], PlanItem],
        today: dt.date,
    ) -> None:
        self.kind, self.row, self.errors = kind, row, errors
        self.v = row.values
        self.people, self.assignments = people, assignments
        self.products, self.items, self.today = products, items, today
        self.broken = False
        self.product: ProductType | None = None
        self.item: PlanItem | None = None

    def fail(self, key: str, rule_vi: str, rule_en: str) -> None:
        self.broken = True
        self.errors.append(self.kind.error(self.row, key, rule_vi, rule_en))

    # --- shared by new and known rows ---------------------------------------------------------

    def _plan_item(self, unit: Unit | None) -> PlanItem | None:
        v = self.v
        given = [
            k for k in ("plan_unit", "plan_year", "plan_period", "plan_item") if v[k] is not None
        ]
        if v["kind"] != Task.Kind.PLANNED:
            if given:
                self.fail(
                    given[0],
                    "Chỉ nhiệm vụ theo kế hoạch mới ghi kế hoạch.",
                    "Only planned tasks refer to a plan.",
                )
            return None
        if v["plan_item"] is None or v["plan_period"] is None:
            missing = "plan_period" if v["plan_period"] is None else "plan_item"
            self.fail(
                missing,
                "Nhiệm vụ theo kế hoạch phải ghi kỳ và nội dung kế hoạch.",
                "A planned task needs the plan period and item.",
            )
            return None
        period = parse_period(v["plan_period"])
        if period is None:
            self.fail(
                "plan_period",
                "Kỳ kế hoạch ghi như “Tháng 3” hoặc “Quý 2”.",
                "Write the period as “Tháng 3” (month) or “Quý 2” (quarter).",
            )
            return None
        plan_unit = v["plan_unit"] or unit
        if plan_unit is None:
            return None
        year = v["plan_year"] or v["deadline"].year
        item = self.items.get((plan_unit.pk, year, period[0], period[1], title_key(v["plan_item"])))
        if item is None:
            self.fail(
                "plan_item",
                f"Không có nội dung này trong kế hoạch năm {year} của đơn vị {plan_unit.code} "
                f"({period_text(*period)}).",
                f"No such item in the {year} plan of unit {plan_unit.code}.",
            )
        return item

    def _product_of(self, job_position_id: int | None) -> ProductType | None:
        code = self.v["product_type"]
        if code is None:
            return self.item.product_type if self.item is not None else None
        for scope in (job_position_id, None) if job_position_id is not None else (None,):
            found = self.products.get(scope, {}).get(code)
            if found is not None:
                return found
        self.fail(
            "product_type",
            "Mã sản phẩm không có trong danh mục đã quyết định dùng cho người thực hiện "
            "(theo vị trí việc làm hoặc toàn cơ quan).",
            "The code is not in a decided catalogue for the owner's job position or agency.",
        )
        return None

    # --- a known task -------------------------------------------------------------------------

    def compare(self, task: dict[str, Any]) -> None:
        v = self.v
        home = self.assignments.home(v["owner"], task["assigned_on"])
        self.item = self._plan_item(home.unit if home else None)
        product = self._product_of(home.job_position_id if home else None)
        if self.broken:
            return
        state = v["state"] or S.ASSIGNED
        pairs: list[tuple[str, Any, Any]] = [
            ("owner", self._code(task["owner_id"]), self._code(v["owner"])),
            ("assigner", self._code(task["assigner_id"]), self._code(v["assigner"])),
            ("kind", label_of(Task.Kind, task["kind"]), label_of(Task.Kind, v["kind"])),
            ("extra", task["extra"] or None, v["extra"] or None),
            ("title", task["title"], v["title"]),
            ("product_type", task["product_type__code"], product.code if product else None),
            ("plan_item", task["plan_item_id"], self.item.pk if self.item else None),
            ("quantity", plain(task["quantity"]), plain(v["quantity"] or Decimal(1))),
            ("deadline", task["deadline"], v["deadline"]),
            ("state", label_of(Task.State, task["state"]), label_of(Task.State, state)),
            ("returns", task["failures"], v["returns"] or 0),
        ]
        if v["assigned_on"] is not None:
            pairs.append(("assigned_on", task["assigned_on"], v["assigned_on"]))
        if state == S.ACCEPTED:
            pairs.append(
                (
                    "done_quantity",
                    plain(task["done_quantity"]),
                    plain(task["quantity"] if v["done_quantity"] is None else v["done_quantity"]),
                )
            )
            pairs.append(("closed_on", task["completed_on"], v["closed_on"]))
        differs = changes_of(COLUMNS, pairs)
        if differs:
            shown = "; ".join(f"{c.column}: {c.before} → {c.after}" for c in differs)
            self.fail(
                "external_ref",
                f"Nhiệm vụ đã có, không sửa qua Excel ({shown}).",
                f"The task exists and is not changed through Excel ({shown}).",
            )

    def _code(self, person_id: int) -> str:
        known = self.people.get(person_id)
        return known.code if known else str(person_id)

    # --- a new task ---------------------------------------------------------------------------

    def story(self, reason: str) -> Story | None:
        v = self.v
        owner, assigner = self.people[v["owner"]], self.people[v["assigner"]]
        assigned_on = v["assigned_on"] or self.today
        quantity: Decimal = v["quantity"] if v["quantity"] is not None else Decimal(1)
        state = v["state"] or S.ASSIGNED
        returns = v["returns"] or 0
        if len(v["title"]) > 500:
            self.fail("title", "Dài quá 500 ký tự.", "Longer than 500 characters.")
        if assigned_on > self.today:
            self.fail(
                "assigned_on", "Ngày giao không được sau hôm nay.", "Cannot be in the future."
            )
        if v["deadline"] < assigned_on:
            self.fail(
                "deadline",
                "Hạn hoàn thành trước ngày giao.",
                "The deadline is before the assignment day.",
            )
        if quantity <= 0 or quantity != quantity.quantize(Decimal("0.01")) or quantity >= 10**10:
            self.fail(
                "quantity",
                "Số lượng phải lớn hơn 0, tối đa 2 chữ số thập phân.",
                "The quantity must be > 0 with at most 2 decimal places.",
            )
        home = self.assignments.home(owner.pk, assigned_on)
        if home is None:
            self.fail(
                "owner",
                "Người thực hiện không có phân công công tác chính trong cơ quan vào ngày giao.",
                "The owner has no main assignment in the agency on the assignment day.",
            )
        elif assigner.pk == owner.pk or not self.assignments.leads(
            assigner.pk, home.unit, assigned_on
        ):
            self.fail(
                "assigner",
                f"Người giao không phải lãnh đạo của đơn vị {home.unit.code} (hoặc cấp trên) "
                "vào ngày giao.",
                f"The assigner does not lead unit {home.unit.code} (or above) on that day.",
            )
        if assigner.user is None:
            self.fail(
                "assigner",
                "Người giao chưa có tài khoản đăng nhập (diễn biến ghi dưới tên người giao).",
                "The assigner has no login (the history is recorded in their name).",
            )
        if v["kind"] == Task.Kind.PLANNED and v["extra"] == Task.Extra.OUTSIDE_PLAN:
            self.fail(
                "extra",
                "Nhiệm vụ theo kế hoạch không thể là việc làm thêm ngoài kế hoạch.",
                "A planned task cannot be extra work outside the plan.",
            )
        self.item = self._plan_item(home.unit if home else None)
        product = self._product_of(home.job_position_id if home else None)
        acts = self._acts(state, returns, assigned_on, quantity, owner, assigner)
        if self.broken or home is None or assigner.user is None:
            return None
        return Story(
            owner=owner.person,
            unit=home.unit,
            assigner=assigner.person,
            assigner_user=assigner.user,
            kind=v["kind"],
            title=v["title"],
            deadline=v["deadline"],
            assigned_at=_moment(assigned_on, 8),
            quantity=quantity,
            product_type=product,
            plan_item=self.item,
            extra=v["extra"] or "",
            steps=acts,
            external_ref=v["external_ref"],
        )

    def _acts(
        self,
        state: str,
        returns: int,
        assigned_on: dt.date,
        quantity: Decimal,
        owner: _Person,
        assigner: _Person,
    ) -> list[Act]:
        v = self.v
        first, last, closed = v["first_submitted"], v["last_submitted"], v["closed_on"]
        label = label_of(Task.State, state)
        if returns < 0 or returns > 50:
            self.fail("returns", "Số lần trả lại phải từ 0 đến 50.", "Must be 0 to 50.")
            return []
        if state == S.ACCEPTED and first is None:
            first = closed  # accepted without dates: submitted on the day it was accepted
        count = submissions(state, returns, first is not None)
        if state in (S.ASSIGNED, S.IN_PROGRESS, S.SUBMITTED) and returns:
            self.fail(
                "returns",
                f"Trạng thái “{label}” không có lần trả lại nào.",
                f"The state {state} has no returns.",
            )
        if state in (S.RETURNED, S.RESUBMITTED) and not returns:
            self.fail(
                "returns",
                f"Trạng thái “{label}” cần ít nhất một lần trả lại.",
                f"The state {state} needs at least one return.",
            )
        if count == 0:
            for key in ("first_submitted", "last_submitted"):
                if v[key] is not None:
                    self.fail(
                        key,
                        f"Trạng thái “{label}” (với số lần trả lại này) không có lần nộp nào.",
                        f"The state {state} (with these returns) has no submission.",
                    )
            if state == S.CANCELLED and returns:
                self.fail(
                    "first_submitted",
                    "Nhiệm vụ có lần trả lại thì phải ghi ngày nộp lần đầu.",
                    "A task with returns needs its first submission date.",
                )
        elif first is None:
            self.fail(
                "first_submitted",
                f"Trạng thái “{label}” cần ngày nộp lần đầu.",
                f"The state {state} needs the first submission date.",
            )
        elif count == 1 and last is not None and last != first:
            self.fail(
                "last_submitted",
                "Chỉ có một lần nộp: để trống ngày nộp lần cuối (hoặc ghi bằng ngày nộp lần đầu).",
                "There is one submission: leave the last submission date blank.",
            )
        elif count > 1 and last is None:
            self.fail(
                "last_submitted",
                f"Có {count} lần nộp: cần ngày nộp lần cuối.",
                f"There are {count} submissions: the last submission date is required.",
            )
        elif count > 1 and last is not None and last < first:
            self.fail(
                "last_submitted",
                "Ngày nộp lần cuối trước ngày nộp lần đầu.",
                "The last submission is before the first.",
            )
        if first is not None and first < assigned_on:
            self.fail("first_submitted", "Ngày nộp trước ngày giao.", "Submitted before assigned.")
        for key in ("first_submitted", "last_submitted", "closed_on"):
            if v[key] is not None and v[key] > self.today:
                self.fail(key, "Ngày không được sau hôm nay.", "Cannot be in the future.")
        closing = CLOSING.get(state)
        if closing is None:
            for key in ("closed_on", "done_quantity"):
                if v[key] is not None:
                    self.fail(
                        key,
                        f"Trạng thái “{label}” chưa kết thúc: để trống cột này.",
                        f"The state {state} is not closed: leave this blank.",
                    )
        else:
            if closed is None:
                self.fail(
                    "closed_on",
                    f"Trạng thái “{label}” cần ngày nghiệm thu / kết thúc.",
                    f"The state {state} needs its closing date.",
                )
            elif closed < max(d for d in (assigned_on, first, last) if d is not None):
                self.fail(
                    "closed_on",
                    "Ngày nghiệm thu / kết thúc trước ngày giao hoặc ngày nộp.",
                    "The closing date is before the assignment or a submission.",
                )
            if state != S.ACCEPTED and v["done_quantity"] is not None:
                self.fail(
                    "done_quantity",
                    "Chỉ nhiệm vụ đã nghiệm thu mới có khối lượng hoàn thành.",
                    "Only accepted tasks have a done quantity.",
                )
            if state in (S.HANDED_BACK, S.CANCELLED) and not v["reason"]:
                self.fail(
                    "reason",
                    f"Cần nêu lý do khi nhiệm vụ ở trạng thái “{label}”.",
                    f"A reason is required for the state {state}.",
                )
        done = v["done_quantity"]
        if done is not None and not Decimal(0) <= done <= quantity:
            self.fail(
                "done_quantity",
                "Khối lượng hoàn thành phải từ 0 đến số lượng được giao.",
                "The done quantity must be between 0 and the quantity.",
            )
        owner_acts = state != S.ASSIGNED and not (state == S.CANCELLED and count == 0)
        if owner_acts and (owner.user is None or not owner.active):
            self.fail(
                "owner",
                "Người thực hiện chưa có tài khoản đăng nhập (hoặc đã nghỉ) nên không ghi được "
                "diễn biến của nhiệm vụ.",
                "The owner has no active login, so the task's history cannot be recorded.",
            )
        if self.broken or assigner.user is None:
            return []
        owner_user, reviewer = owner.user, assigner.user
        moments = _Clock()
        acts: list[Act] = []
        if state == S.IN_PROGRESS:
            assert owner_user is not None
            acts.append(Act("start", moments.at(assigned_on), owner_user))
        for index in range(count):
            assert owner_user is not None and first is not None
            day = last if index == count - 1 and count > 1 else first
            assert day is not None
            acts.append(Act("resubmit" if index else "submit", moments.at(day), owner_user))
            if index < returns:
                acts.append(Act("return", moments.at(day), reviewer, reason=RETURN_REASON))
        if closing == "accept":
            assert closed is not None
            acts.append(Act("accept", moments.at(closed), reviewer, done_quantity=done))
        elif closing is not None:
            assert closed is not None
            actor = owner_user if closing == "hand_back" else reviewer
            assert actor is not None
            acts.append(Act(closing, moments.at(closed), actor, reason=v["reason"]))
        return acts

    def shown(self, story: Story) -> list[Any]:
        v = self.v
        return changes_of(
            COLUMNS,
            [
                ("owner", None, self._code(v["owner"])),
                ("kind", None, label_of(Task.Kind, v["kind"])),
                ("deadline", None, v["deadline"]),
                ("product_type", None, story.product_type.code if story.product_type else None),
                ("state", None, label_of(Task.State, v["state"] or S.ASSIGNED)),
            ],
        )


class _Clock:
    """Steps of one story on the same day keep their order: one minute apart."""

    def __init__(self) -> None:
        self.minutes = 0

    def at(self, day: dt.date) -> dt.datetime:
        self.minutes += 1
        return _moment(day, 9) + dt.timedelta(minutes=self.minutes)


def _moment(day: dt.date, hour: int) -> dt.datetime:
    return clock.at(day, hour)


__all__ = ["COLUMNS", "TaskKind", "parse_period"]
