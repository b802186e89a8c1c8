"""What every benchmark does first: Django on its own database, migrated, with the demo freshly loaded.

A benchmark calls `configure("name.sqlite3")` before importing any Django model, then `fresh_demo()`.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def configure(sqlite_file: str) -> None:
    """Use DATABASE_URL when given, else a SQLite file of the benchmark's own in var/."""
    sys.path.insert(0, str(ROOT))
    (ROOT / "var").mkdir(exist_ok=True)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / sqlite_file}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keyprojects.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]


def fresh_demo() -> float:
    """Empty the benchmark database, migrate, load the demo; print the database and return the load time."""
    from django.conf import settings
    from django.core.management import call_command

    db = settings.DATABASES["default"]
    print(f"database: {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}")
    if db["ENGINE"].endswith("sqlite3") and Path(db["NAME"]).exists():
        Path(db["NAME"]).unlink()
    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    call_command("load_demo", "--quiet-logins", verbosity=0)
    return time.perf_counter() - start
