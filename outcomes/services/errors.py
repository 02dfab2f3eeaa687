"""How a service refuses: a ValidationError naming the field at fault, which pages put on that form field
(outcomes.web.forms.form_add_service_errors) and the API returns under that key (outcomes.api.errors)."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def refuse(field: str, message: str) -> ValidationError:
    """The refusal to raise: `raise refuse("reason", "Give the reason ...")`."""
    return ValidationError({field: message})
