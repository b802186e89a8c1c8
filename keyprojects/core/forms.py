"""Glue between forms and services: a service's refusal becomes a form error, never a 500. And the fields
every app shares for what a person asks in the query string or a form: a year, a month."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from keyprojects.core.clock import MAX_YEAR, MIN_YEAR, validate_day
from keyprojects.core.errors import DomainError
from keyprojects.core.models import MAX_ID


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


class YearField(forms.IntegerField):
    """A year from clock.MIN_YEAR to clock.MAX_YEAR; anything else (0, 10000, 2026.5, "abc") is refused."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=MIN_YEAR, max_value=MAX_YEAR, **kwargs)


class DayField(forms.DateField):
    """A day from clock.MIN_YEAR to clock.MAX_YEAR, entered as an ISO date (<input type="date">)."""

    default_validators = [validate_day]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", DATE_INPUT)
        super().__init__(**kwargs)


class MonthField(forms.IntegerField):
    """A month from 1 to 12."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, max_value=12, **kwargs)


class IdField(forms.IntegerField):
    """An object's id given in the query string (a filter's leader): a positive number a table can hold."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)


class YearForm(forms.Form):
    """A page's optional ?year=."""

    year = YearField(label=_("Year"), required=False)


def query_errors_to_messages(request: HttpRequest, form: forms.BaseForm) -> None:
    """A query-string form's errors become error messages that name their field: the page then shows its
    default, and says why, instead of silently replacing what was asked."""
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else None
        for error in errors:
            messages.error(
                request, _("%(field)s: %(error)s") % {"field": label, "error": error} if label else error
            )


def query_year(request: HttpRequest) -> int | None:
    """The year asked for in ?year=, or None when none was asked or it was refused (then with a message)."""
    form = YearForm(request.GET)
    if form.is_valid():
        return form.cleaned_data["year"]
    query_errors_to_messages(request, form)
    return None
