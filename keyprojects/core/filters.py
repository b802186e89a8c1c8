"""What every list's filters share (django-filter): a check box filter, and what a page, its exports and its
links say about the filters applied. Each list declares its own FilterSet on ListFilterSet."""

from __future__ import annotations

from collections.abc import Iterator

import django_filters
from django import forms
from django.http import QueryDict


class CheckFilter(django_filters.BooleanFilter):
    """A check box: ticked filters, unticked does not (a plain BooleanField, which takes the browser's "on")."""

    field_class = forms.BooleanField


class ListFilterSet(django_filters.FilterSet):
    # Names in the query that are not filters of the rows (an order): left out of what "applied" lists.
    not_filters: tuple[str, ...] = ()

    def applied_values(self) -> dict:
        """The filters applied: the valid, non-empty values, by name."""
        if not self.is_bound:
            return {}
        self.form.is_valid()  # cleaned_data then holds the valid fields
        return {
            k: v
            for k, v in self.form.cleaned_data.items()
            if k not in self.not_filters and v not in (None, "", False)
        }

    def applied(self, exclude: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
        """(label, value as shown) of each filter applied; a check box has no value to show."""
        fields = self.form.fields
        for name, value in self.applied_values().items():
            if name in exclude:
                continue
            field = fields[name]
            if isinstance(field, forms.BooleanField):
                yield str(field.label), ""
            elif isinstance(field, forms.ModelChoiceField):
                yield str(field.label), field.label_from_instance(value)
            elif isinstance(field, forms.ChoiceField):
                yield str(field.label), str(dict(field.choices).get(value, value))
            else:
                yield str(field.label), str(value)

    def query(self) -> str:
        """The query string of the filters (and order) asked for, without the empty ones nor the page: for the
        pager, the sort links and the export links."""
        query = QueryDict(mutable=True)
        for key, values in self.data.lists():
            if key in self.filters and any(values):
                query.setlist(key, [v for v in values if v])
        return query.urlencode()
