"""The published item schema, ``qa_item.schema.json``: the one copy.

This folder is installed as the package ``qa_scraper.schemas`` (``package-dir`` in
pyproject.toml), so the code reads this very file with :mod:`importlib.resources` from a
checkout, a wheel or a zipped egg (``qa_scraper.delivery.validation.load_schema``).
"""
