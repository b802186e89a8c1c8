"""The API's answers as an operation declares them: its refusals (400, 401, 403, 404, 409: `{detail, field}`,
as the handlers in api.py answer) and its files; and a page's form used to check what a client sent, its first
error said as a refusal."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from ninja import Field, Schema

from keyprojects.core.errors import DomainError


class ErrorOut(Schema):
    detail: str = Field(description="What is wrong, in the user's language.")
    field: str | None = Field(None, description="The parameter or body field refused, if one is.")


def refusals(*statuses: int) -> dict[int, type[Schema]]:
    """The error answers of an operation: 401 (no valid token or session) and those it names."""
    return dict.fromkeys((401, *statuses), ErrorOut)


def field_refused(field: str, error: str, *, label: str | None = None) -> DomainError:
    """The 400 of a refused field: its message names it (`label`, else the API's name), `field` says which."""
    return DomainError(_("%(field)s: %(error)s") % {"field": label or field, "error": error}, field=field)


def form_checked(form: forms.BaseForm, *, names: dict[str, str] | None = None) -> dict:
    """The form's cleaned data, or DomainError (400) with its first error, in the user's language, naming the
    field as the client calls it (`names`: the form's field name → the API's)."""
    if form.is_valid():
        return form.cleaned_data
    key, errors = next(iter(form.errors.items()))
    field = (names or {}).get(key, key)
    if key == forms.forms.NON_FIELD_ERRORS:
        raise DomainError(" ".join(errors))
    raise field_refused(field, " ".join(errors))


def file_answer(description: str, *content_types: str) -> dict:
    """The `openapi_extra` of an operation that answers a file (a download) rather than JSON: its 200 in the
    content types given (any file: application/octet-stream)."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    types = content_types or ("application/octet-stream",)
    return {"responses": {200: {"description": description, "content": dict.fromkeys(types, binary)}}}
