"""The package list, and setup() for ``scrapyd-deploy`` (it builds the egg with ``python setup.py
bdist_egg`` and would otherwise write a setup.py of its own here). Everything else is declared
in pyproject.toml.

The packages are qa_scraper's own, and ``qa_scraper.schemas``: the top-level ``schemas/``
folder (pyproject.toml's ``package-dir``), which ``packages.find`` cannot map from outside
``qa_scraper/``.
"""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["qa_scraper", "qa_scraper.*"]), "qa_scraper.schemas"])
