"""Query-string schemas made from the selectors' filter dataclasses, so the API and the pages filter
by the same fields with the same defaults, declared once."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

from ninja import Schema
from pydantic import create_model


def query_schema(
    filters: type, *, exclude: tuple[str, ...] = (), types: dict[str, Any] | None = None
) -> type[Schema]:
    """A ninja Schema with the fields of a filter dataclass (minus `exclude`) and their defaults;
    `types` narrows a field for the API (a year within bounds, where the dataclass says int)."""
    hints = typing.get_type_hints(filters) | (types or {})
    fields = {
        f.name: (hints[f.name], f.default if f.default is not dataclasses.MISSING else f.default_factory())
        for f in dataclasses.fields(filters)
        if f.name not in exclude
    }
    return create_model(f"{filters.__name__}Query", __base__=Schema, **fields)
