"""The JSON API (``/api/v1/``), served by django-ninja. Each operation declares its own authentication."""
