"""Form widgets of the website.

`PlainSelect` renders a <select> as Django's own Select does, character for character, but in Python: Django renders
each <option> through its own template (select_option.html, attrs.html), which for the search form's facets (about
90 options) cost more than the rest of the form. The markup, and so the page's accessibility, is unchanged.
"""

from __future__ import annotations

from django import forms
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: ` name="value"` per attribute, ` name` for True, nothing for False."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class PlainSelect(forms.Select):
    def render(self, name: str, value, attrs: dict | None = None, renderer=None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, options, _ in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            parts += [
                f'\n  <option value="{conditional_escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
                f"{conditional_escape(option['label'])}</option>\n"  # select_option.html ends with a newline
                for option in options
            ]
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped
