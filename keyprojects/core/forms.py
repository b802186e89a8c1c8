"""Glue between forms and services: a service's refusal becomes a form error, never a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from keyprojects.core.errors import DomainError


def call_service(form: forms.BaseForm, service: Callable[..., Any], **kwargs: Any) -> Any | None:
    """Run `service(**kwargs)`; on a domain or validation error attach it to `form` and return None."""
    try:
        return service(**kwargs)
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    except ValidationError as exc:
        for field, errors in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
            form.add_error(field if field in form.fields else None, errors)
    return None


DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def with_all(choices) -> list:
    """A filter's choices, led by an empty "all"."""
    return [("", _("all")), *choices]


def errors_to_messages(request: HttpRequest, form: forms.BaseForm) -> None:
    """For actions posted from a page that redirects back: the form's errors become error messages."""
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
