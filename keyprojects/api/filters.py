"""Query-string schemas made from the pages' filter declarations (their FilterSets), so the API and the pages
filter by the same fields with the same checks, declared once."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from ninja import Field, Schema
from pydantic import create_model

from keyprojects.api.errors import field_refused


def _api_type(declared: django_filters.Filter) -> type:
    """The query parameter's type for one of a FilterSet's filters."""
    if isinstance(declared, django_filters.BooleanFilter):
        return bool
    if isinstance(declared, django_filters.TypedChoiceFilter) and declared.extra.get("coerce") is int:
        return int
    if isinstance(declared, django_filters.ModelChoiceFilter) and not declared.extra.get("to_field_name"):
        return int  # an object by its id
    return str


def filterset_schema(filterset: type[django_filters.FilterSet], *, name: str) -> type[Schema]:
    """A ninja query schema with the filters of a page's FilterSet: the API filters by the very declaration
    the page and its exports use. Every parameter is optional; the FilterSet checks the values."""
    fields = {
        key: (_api_type(declared) | None, Field(None, description=str(declared.label), **_offered(declared)))
        for key, declared in filterset.base_filters.items()
    }
    return create_model(name, __base__=Schema, **fields)


def _offered(declared: django_filters.Filter) -> dict:
    """The values a filter with fixed choices offers (a stage, an order), listed in the OpenAPI document for
    the clients generated from it; the FilterSet still checks them, with the page's message."""
    choices = declared.extra.get("choices")
    if _api_type(declared) is not str or not isinstance(choices, list | tuple):
        return {}
    return {"json_schema_extra": {"enum": [str(value) for value, _label in choices if value != ""]}}


def filtered(filterset: type[django_filters.FilterSet], query: Schema, **kwargs) -> QuerySet:
    """The queryset the FilterSet answers for the API's query, or DomainError (400) naming the first
    refused parameter, in the user's language. A filter the user is not offered because it has one choice
    (a county's people and their county) takes that choice and refuses any other."""
    data = QueryDict(mutable=True)
    for key, value in query.dict(exclude_none=True).items():
        data[key] = ("on" if value else "") if isinstance(value, bool) else str(value)
    bound = filterset(data, **kwargs)
    for key, value in data.items():
        only = getattr(bound, "only_choices", {}).get(key)
        if key not in bound.filters and value and value != only:
            error = forms.ChoiceField.default_error_messages["invalid_choice"] % {"value": value}
            raise field_refused(key, error)
    if not bound.is_valid():
        key, errors = next(iter(bound.errors.items()))
        raise field_refused(key, " ".join(errors))
    return bound.qs
