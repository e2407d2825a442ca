"""The kinds of import on offer; a new kind is one more entry here."""

from __future__ import annotations

from thuocdo.core.errors import NotFound
from thuocdo.imports.catalogue import CatalogueKind
from thuocdo.imports.evaluations import EvaluationKind
from thuocdo.imports.framework import ImportKind
from thuocdo.imports.people import PeopleKind
from thuocdo.imports.plans import PlanKind
from thuocdo.imports.tasks import TaskKind

KINDS: dict[str, ImportKind] = {
    kind.code: kind
    for kind in (PeopleKind(), CatalogueKind(), PlanKind(), TaskKind(), EvaluationKind())
}


def get_kind(code: str) -> ImportKind:
    try:
        return KINDS[code]
    except KeyError:
        raise NotFound(
            f"Không có loại dữ liệu nhập “{code}”.", f"There is no import kind {code!r}."
        ) from None
