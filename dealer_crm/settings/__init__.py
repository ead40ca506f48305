"""Settings modules: ``local`` (the embedded default), ``production`` and ``test``.

Every value that differs between machines comes from the environment (django-environ);
``base`` holds what is the same everywhere.
"""
