"""What the OpenAPI document says beyond what the schemas declare.

Every request passes the input guard (thuocdo.core.input_guard) before it reaches an
operation: a NUL character in any string is answered 400. The document says so on every
free string (a `pattern` with no NUL), so that a client reading the contract, and a
contract tester generating from it, know the rule.
"""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI

NO_NUL = "^[^\\u0000]*$"


def forbid_nul(node: Any) -> None:
    """Add the no-NUL pattern to every string schema that has no format, enum or pattern."""
    if isinstance(node, dict):
        if node.get("type") == "string" and not {"format", "enum", "pattern", "const"} & set(node):
            node["pattern"] = NO_NUL
        for value in node.values():
            forbid_nul(value)
    elif isinstance(node, list):
        for value in node:
            forbid_nul(value)


class DocumentedAPI(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        document = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        forbid_nul(document)
        return document
