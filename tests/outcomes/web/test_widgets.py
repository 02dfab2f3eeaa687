"""PlainSelect renders what Django's own Select renders, character for character, without its per-option
templates."""

from __future__ import annotations

import pytest
from django import forms
from django.utils.translation import gettext_lazy

from outcomes.web.forms import SearchForm
from outcomes.web.widgets import PlainSelect

CHOICES = [
    ("", "Any"),
    ("a&b", 'Crohn\'s <disease> & "colitis"'),
    (
        "Physiological/clinical",
        [(1, "1. Mortality/survival"), (29, gettext_lazy("29. Cognitive functioning"))],
    ),
    (2024, "2024"),
]


@pytest.mark.parametrize("value", [None, "", "a&b", 29, "29", 2024, ["a&b", 1]])
@pytest.mark.parametrize(
    "attrs",
    [None, {"id": "id_x"}, {"id": "id_x", "aria-describedby": "x-errors", "aria-invalid": "true", "required": True}],
)
def test_plain_select_renders_what_djangos_select_renders(value, attrs):
    for multiple in (False, True):
        extra = {"multiple": True} if multiple else {}
        django_widget, plain_widget = (
            forms.Select(choices=CHOICES, attrs=extra),
            PlainSelect(choices=CHOICES, attrs=extra),
        )
        expected = django_widget.render("x", value, attrs=attrs)
        assert plain_widget.render("x", value, attrs=attrs) == expected
    assert "&lt;disease&gt; &amp; &quot;colitis&quot;" in expected and 'value="a&amp;b"' in expected


def test_plain_select_marks_a_disabled_option_attribute_false_as_django_does():
    class DisableOne:
        def create_option(self, *args, **kwargs):
            option = super().create_option(*args, **kwargs)
            option["attrs"]["disabled"] = option["value"] == 1
            return option

    class Disabling(DisableOne, PlainSelect):
        pass

    class DjangoDisabling(DisableOne, forms.Select):
        pass

    html = Disabling(choices=CHOICES).render("x", 29)
    assert html == DjangoDisabling(choices=CHOICES).render("x", 29)
    assert '<option value="1" disabled>' in html and '<option value="29" selected>' in html


@pytest.mark.django_db
def test_the_search_forms_facets_render_as_django_would_with_an_error_and_a_choice(reference_data):
    form = SearchForm({"q": "heart", "area": "heart-disease", "domain": "99"})
    assert not form.is_valid()
    for name in ("area", "condition", "domain", "status", "year"):
        bound = form[name]
        assert isinstance(bound.field.widget, PlainSelect)
        django_select = forms.Select(choices=bound.field.choices)
        assert str(bound) == bound.as_widget(widget=django_select)
    assert 'aria-invalid="true"' in str(form["domain"])
    assert '<option value="heart-disease" selected>' in str(form["area"])
