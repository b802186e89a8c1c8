"""Gunicorn settings for `make run`: Keyprojects behind a production WSGI server, never Django's debug pages.

The Makefile adds `--bind $(HOST):$(PORT)`. Static files are served by WhiteNoise inside Django.
"""

import os
from pathlib import Path

# A person is served here, not a developer: Django's debug pages (a 404 lists every URL pattern) stay
# off even outside production. DJANGO_ENV is left alone, so the demo still loads on a laptop.
os.environ.setdefault("DJANGO_DEBUG", "0")

wsgi_app = "keyprojects.wsgi:application"
workers = 2
threads = 4
# Exports and PDF bulletins take a few seconds; a request still running after a minute is stuck.
timeout = 60
# Ctrl-C or SIGTERM: let a request in flight finish, but do not keep the terminal waiting.
graceful_timeout = 10
accesslog = str(Path(__file__).resolve().parent / "var" / "access.log")
# Gunicorn 25+ opens a control socket at one fixed path per user: two servers on a machine would collide.
control_socket_disable = True
