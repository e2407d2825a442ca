"""Reading JSON or YAML text with exact numbers (no floats ever reach the rules)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import yaml

__all__ = ["DocumentError", "loads_document"]


class DocumentError(ValueError):
    """The text is neither valid JSON nor valid YAML."""


class _ExactLoader(yaml.SafeLoader):
    """A SafeLoader whose floats are Decimals built from the source text."""


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal | str:
    text = str(loader.construct_scalar(node)).replace("_", "")  # type: ignore[arg-type]
    try:
        value = Decimal(text)
    except ArithmeticError:
        return text
    return value if value.is_finite() else text


_ExactLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
# keep dates and times as text: the rules never need them as objects
_ExactLoader.add_constructor(
    "tag:yaml.org,2002:timestamp",
    lambda loader, node: str(loader.construct_scalar(node)),  # type: ignore[arg-type]
)


def loads_document(text: str, *, name: str = "") -> Any:
    """Parse JSON (numbers as Decimal) or YAML (floats as Decimal). Every failure of the
    parsers — syntax, an integer too long to convert, nesting too deep for the stack — is a
    :class:`DocumentError`."""
    stripped = text.lstrip()
    if name.endswith(".json") or stripped.startswith(("{", "[")):
        try:
            return json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            if name.endswith(".json"):
                raise DocumentError(f"invalid JSON: {exc}") from exc
        except (ValueError, RecursionError) as exc:
            raise DocumentError(f"unreadable JSON: {exc}") from exc
    try:
        return yaml.load(text, Loader=_ExactLoader)
    except yaml.YAMLError as exc:
        raise DocumentError(f"invalid YAML: {exc}") from exc
    except (ValueError, RecursionError) as exc:
        raise DocumentError(f"unreadable YAML: {exc}") from exc
