"""Every schema the API answers or takes has a name of its own: ninja files the OpenAPI components by class
name, so a second `SummaryOut` silently replaces the first and clients generated from the document read one
operation's answers with another's shape."""

from __future__ import annotations

import types
import typing
from collections import defaultdict

from pydantic import BaseModel

from keyprojects.api.api import api


def _models_in(annotation, found: set[type[BaseModel]]) -> None:
    """The pydantic models an annotation names, however nested (lists, unions, dicts, Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in found:
            return
        found.add(annotation)
        for field in annotation.model_fields.values():
            _models_in(field.annotation, found)
        return
    for argument in typing.get_args(annotation):
        _models_in(argument, found)


def _api_models() -> set[type[BaseModel]]:
    """Every model reachable from an operation's parameters, body or answers."""
    found: set[type[BaseModel]] = set()
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in [*operation.response_models.values(), *operation.models]:
                    _models_in(model, found)
    return found


def _wrappers(model: type[BaseModel]) -> bool:
    """ninja's own per-operation wrappers (the answer's and the parameters' envelopes), never in components."""
    return model.__module__ in ("abc", "ninja.signature.details") or model.__name__ in (
        "NinjaResponseSchema",
        "BodyParams",
        "QueryParams",
        "PathParams",
        "FileParams",
        "FormParams",
        "HeaderParams",
        "CookieParams",
    )


def test_no_two_schemas_of_the_api_share_a_name():
    by_name: dict[str, set[str]] = defaultdict(set)
    for model in _api_models():
        if not _wrappers(model):
            by_name[model.__name__].add(f"{model.__module__}.{model.__qualname__}")

    clashes = {name: sorted(where) for name, where in by_name.items() if len(where) > 1}

    assert len(by_name) > 50  # the walk reaches the routers' schemas, not only ninja's envelopes
    assert clashes == {}


def test_the_check_finds_a_clash():
    """Two classes of one name, as two routers once declared `SummaryOut`, are told apart by module."""
    first = types.new_class("SummaryOut", (BaseModel,))
    second = types.new_class("SummaryOut", (BaseModel,))
    second.__module__ = "elsewhere"
    found: set[type[BaseModel]] = set()

    _models_in(list[first] | dict[str, second], found)

    assert {f"{m.__module__}.{m.__qualname__}" for m in found} == {
        f"{first.__module__}.SummaryOut",
        "elsewhere.SummaryOut",
    }
