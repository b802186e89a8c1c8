"""The API's typed parameters: a year, a month and an id within the bounds the pages' forms use, and bounded
pages."""

from __future__ import annotations

from typing import Annotated

from ninja import Field, Schema
from ninja.conf import settings as ninja_settings
from ninja.pagination import LimitOffsetPagination
from pydantic import AfterValidator

from keyprojects.api.auth import text_without_surrogates
from keyprojects.core.clock import MAX_YEAR, MIN_YEAR
from keyprojects.core.models import MAX_ID

Year = Annotated[int, Field(ge=MIN_YEAR, le=MAX_YEAR)]
Month = Annotated[int, Field(ge=1, le=12)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# Free text in a query (a search): bounded, and without NUL, which PostgreSQL refuses in any text (a 500).
Text = Annotated[str, Field(max_length=200, pattern=r"^[^\x00]*$")]
# What people write in a body, checked further by the pages' forms: a lone UTF-16 surrogate ("\ud800" in
# JSON) is no character the database stores, refused here (400) rather than there (500).
Written = Annotated[str, AfterValidator(text_without_surrogates)]

# A list's `sort`: one of the orders it offers; each ends on a unique key, so that pages never repeat a row.
SORT_TEXT = "The order; a leading - reverses it."

# Beyond a 64-bit integer the database refuses LIMIT and OFFSET (a 500); no list comes near these.
MAX_LIMIT = 10_000
MAX_OFFSET = 2**31 - 1


class Pagination(LimitOffsetPagination):
    """limit and offset as ninja's, with an upper bound: a larger one answers 400, naming it."""

    class Input(Schema):
        limit: int = Field(ninja_settings.PAGINATION_PER_PAGE, ge=1, le=MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)
