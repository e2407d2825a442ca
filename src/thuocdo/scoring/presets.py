"""Framework presets shipped as data files (``presets/<name>.yaml``)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from .documents import loads_document
from .errors import FrameworkError, Issue
from .model import Framework
from .validate import validate_framework

__all__ = ["list_presets", "load_preset", "preset_data"]


def list_presets() -> list[str]:
    root = resources.files(__package__).joinpath("presets")
    return sorted(p.name[: -len(".yaml")] for p in root.iterdir() if p.name.endswith(".yaml"))


def preset_data(name: str) -> Any:
    """The preset's raw data (a fresh copy each call)."""
    if name not in list_presets():
        raise FrameworkError(
            [
                Issue(
                    "framework",
                    "unknown_preset",
                    f"Không có khung mẫu “{name}”; có: {', '.join(list_presets())}.",
                    f"No preset named “{name}”; available: {', '.join(list_presets())}.",
                )
            ]
        )
    text = (
        resources.files(__package__).joinpath("presets").joinpath(f"{name}.yaml").read_text("utf-8")
    )
    return loads_document(text, name=f"{name}.yaml")


@cache
def load_preset(name: str) -> Framework:
    """A validated preset (cached: frameworks are immutable)."""
    return validate_framework(preset_data(name))
