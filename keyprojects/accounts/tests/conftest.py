"""Fixtures shared by the accounts tests."""

from __future__ import annotations

import pytest
from django.utils import translation

from keyprojects.accounts.models import User


@pytest.fixture
def english_pages(client, db):
    """Messages are asserted in English: the pages as an English browser and English-speaking users see them
    (the catalogue translates every one of them into Chinese, the default)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    User.objects.exclude(language="en").update(language="en")
    with translation.override("en"):
        yield
