"""Settings of a benchmark run: the production settings, unchanged, plus one URL conf with the floor view.

Only `python -m halte.bench` selects this module (``DJANGO_SETTINGS_MODULE``); normal settings never
route to the floor view. The one other difference: static file URLs are built without the manifest
(the benchmark does not run ``collectstatic``, ~100 MB and half a minute); nothing on the measured
paths reads a static file.
"""

from halte.settings import *  # noqa: F403
from halte.settings import STORAGES

ROOT_URLCONF = "halte.bench.urls"
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
