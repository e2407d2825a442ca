"""`field__any_of=[…]`: membership in a long list of ids passed as ONE parameter.

`__in` spells every id as its own parameter: with 10,000 people the query text, its
parsing by the driver and the planner's work grow with the list (a quarter of a second
for the agency dashboard). PostgreSQL takes the list as one array (`= ANY(%s)`, hashed);
SQLite as one JSON text read by `json_each`.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import models
from django.db.models import Lookup


class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [int(value) for value in self.rhs]
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, values]
        return f"{lhs} IN (SELECT value FROM json_each(%s))", [*lhs_params, json.dumps(values)]


def register() -> None:
    for field in (models.ForeignKey, models.IntegerField, models.BigAutoField, models.AutoField):
        field.register_lookup(AnyOf)
