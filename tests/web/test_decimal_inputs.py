"""Issue 13, point 1: every decimal input takes "2,5" and "2.5" and shows what it read.

A browser's number input dropped "1,00" (shown empty) and read "2,5" as 25. Every form
of the site is walked: each decimal field is the shared text input with the decimal
keyboard; no template writes a number input by hand; values round-trip in both languages.
"""

from __future__ import annotations

import importlib
import inspect
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.evaluations.conftest import Flow, scores
from tests.web.test_audit_words import flow, presets  # noqa: F401 (fixtures)
from thuocdo.core.decimal_input import DecimalField, DecimalInput
from thuocdo.core.models import User
from thuocdo.evaluations.models import CriterionScore

SRC = Path(__file__).resolve().parents[2] / "src" / "thuocdo"
FORM_MODULES = [
    "thuocdo.web.forms",
    "thuocdo.web.forms_catalogue",
    "thuocdo.web.forms_evaluations",
    "thuocdo.web.forms_work",
    "thuocdo.reports.personnel_views",
]


def every_form() -> list[type[forms.BaseForm]]:
    found = []
    for name in FORM_MODULES:
        module = importlib.import_module(name)
        found += [
            cls
            for _, cls in inspect.getmembers(module, inspect.isclass)
            if issubclass(cls, forms.BaseForm) and cls.__module__ == name
        ]
    return found


def test_every_decimal_field_of_every_form_is_the_shared_text_input() -> None:
    checked = 0
    for form in every_form():
        for name, field in form.base_fields.items():
            if isinstance(field, forms.DecimalField):
                assert isinstance(field, DecimalField), f"{form.__name__}.{name}"
                assert isinstance(field.widget, DecimalInput), f"{form.__name__}.{name}"
                checked += 1
    assert checked >= 8


def test_no_template_writes_a_number_input_by_hand() -> None:
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.html")
        if re.search(r'type="number"', path.read_text(encoding="utf-8"))
    ]
    assert not offenders, offenders


@pytest.mark.parametrize("typed", ["2,5", "2.5", " 2,50 ", "+2,5"])
def test_either_mark_reads_the_same(typed: str) -> None:
    assert DecimalField(decimal_places=2).clean(typed) == Decimal("2.5")


@pytest.mark.parametrize("typed", ["2,5,1", "2.5.1", "1e3", "abc", "2,5 điểm"])
def test_anything_else_is_refused_saying_how_to_write_it(typed: str) -> None:
    with translation.override("vi"), pytest.raises(forms.ValidationError) as refused:
        DecimalField(decimal_places=2).clean(typed)
    assert "Nhập một số, ví dụ 2,5 hoặc 2.5." in refused.value.messages


@pytest.mark.parametrize(("language", "text"), [("vi", "1,00"), ("en", "1.00")])
def test_a_value_is_shown_in_the_page_s_format_and_read_back(language: str, text: str) -> None:
    class Form(forms.Form):
        quantity = DecimalField(decimal_places=2)

    with translation.override(language):
        html = str(Form(initial={"quantity": Decimal("1.00")})["quantity"])
        assert f'value="{text}"' in html and 'inputmode="decimal"' in html
        assert 'type="text"' in html
        bound = Form(data={"quantity": text})
        assert bound.is_valid() and bound.cleaned_data["quantity"] == Decimal("1.00")


def test_a_score_typed_with_a_comma_is_saved_as_typed(client: Client, flow: Flow) -> None:  # noqa: F811
    """The case the issue saw: "2,5" in a general criterion became 25."""
    flow.step("start_self_assessment")
    ev = flow.ev("staff_x")
    client.force_login(User.objects.get(username="staff_x"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    data = {"version": str(ev.version), "comment": "Đủ", "evidence_text": ""}
    for key, value in scores(20).items():
        data[f"score_{key}"] = value.replace(".", ",")
        data[f"evidence_{key}"] = "Minh chứng"
    answer = client.post(reverse("web:ev_self", args=[ev.pk]), data)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    saved = {s.key: s.self_score for s in CriterionScore.objects.filter(evaluation=ev)}
    assert saved["g2_culture"] == Decimal("2.5")
    page = client.get(reverse("web:ev_detail", args=[ev.pk])).content.decode()
    assert "2,50" in page or "2,5" in page
