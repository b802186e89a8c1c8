"""Every kind of import has its importer, and only an office that manages the county may import for it."""

from __future__ import annotations

import pytest

from keyprojects.core.errors import NotAllowed
from keyprojects.imports.importers import importer_for, require_manage
from keyprojects.projects.models import ImportJob


def test_it_has_an_importer_for_every_kind_of_job():
    for kind in ImportJob.Kind.values:
        importer = importer_for(kind)
        assert importer.name_field in {c.key for c in importer.columns}


def test_it_lets_only_an_office_that_manages_the_county_import(persona, julu):
    require_manage(persona("office.julu"), julu)

    with pytest.raises(NotAllowed):
        require_manage(persona("office.ningjin"), julu)
