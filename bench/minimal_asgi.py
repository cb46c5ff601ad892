"""ASGI entry point of the minimal view (bench/minimal_settings.py)."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.minimal_settings")
application = get_asgi_application()
