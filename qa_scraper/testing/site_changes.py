"""Changing the dev server's site between two runs (tests): an article's new HTML, a new
or deleted article, data a page's script fetches, and the sitemap entries that go with them."""

from __future__ import annotations

import email.utils
import hashlib
import re
from typing import Any


class SiteChanges:
    """The site-changing hooks of :class:`~qa_scraper.testing.devsite.DevSite` (a mixin: it
    edits the site's routes and file overrides, and reads its files with ``_file_text``)."""

    routes: dict[str, dict[str, Any]]
    not_found: dict[str, Any]
    file_overrides: dict[str, str]
    placeholder: str

    def change_article(self, article_id: str, html: str, lastmod: str) -> None:
        """Serve new HTML for an article, with a new ETag/Last-Modified and sitemap lastmod."""
        path = f"/en/article/{article_id}"
        route = dict(self.routes[path])
        route["headers"] = dict(route["headers"], **_validators(html))
        self.routes[path] = route
        self.file_overrides[route["file"]] = html
        self._edit_sitemap(article_id, lastmod)

    def add_data(self, path: str, body: str, content_type: str = "application/json") -> None:
        """Serve ``body`` at ``path`` (e.g. the JSON a page's script fetches)."""
        name = f"_data{path}"
        self.routes[path] = {
            "file": name,
            "status": 200,
            "kind": "data",
            "headers": {"Content-Type": content_type, "Cache-Control": "no-store"},
        }
        self.file_overrides[name] = body

    def add_article(self, article_id: str, html: str, lastmod: str) -> None:
        path = f"/en/article/{article_id}"
        self.routes[path] = {
            "file": f"en/article/{article_id}.html",
            "status": 200,
            "kind": "article",
            "query": "utm_* ignored",
            "headers": {"Content-Type": "text/html; charset=utf-8", **_validators(html)},
        }
        self.file_overrides[f"en/article/{article_id}.html"] = html
        self._edit_sitemap(article_id, lastmod)

    def delete_article(
        self, article_id: str, keep_in_sitemap: bool = False, status: int = 404
    ) -> None:
        """Answer 404 (or ``status``, e.g. 410 Gone) for an article; ``keep_in_sitemap``
        leaves its sitemap entry as it was."""
        self.routes.pop(f"/en/article/{article_id}", None)
        if status != 404:
            self.routes[f"/en/article/{article_id}"] = {**self.not_found, "status": status}
        if not keep_in_sitemap:
            self._edit_sitemap(article_id, None)

    def _article_sitemaps(self) -> list[str]:
        return sorted(
            route["file"]
            for route in self.routes.values()
            if route.get("kind") == "sitemap" and "articles" in (route["file"] or "")
        )

    def _edit_sitemap(self, article_id: str, lastmod: str | None) -> None:
        """Set (or, with ``None``, remove) an article's <url> entry in the article sitemaps."""
        entry = re.compile(
            r"<url><loc>[^<]*/en/article/"
            + re.escape(article_id)
            + r"</loc>(?:<lastmod>[^<]*</lastmod>)?</url>\n?"
        )
        new_entry = (
            (
                f"<url><loc>{self.placeholder}/en/article/{article_id}</loc>"
                f"<lastmod>{lastmod}</lastmod></url>\n"
            )
            if lastmod
            else ""
        )
        files = self._article_sitemaps()
        for name in files:
            text = self._file_text(name)
            if entry.search(text):
                self.file_overrides[name] = entry.sub(new_entry, text)
                return
        if new_entry:
            text = self._file_text(files[-1])
            self.file_overrides[files[-1]] = text.replace("</urlset>", new_entry + "</urlset>")


def _validators(html: str) -> dict[str, str]:
    """An ETag and Last-Modified for changed content."""
    etag = '"' + hashlib.sha1(html.encode("utf-8")).hexdigest()[:20] + '"'
    return {"ETag": etag, "Last-Modified": email.utils.formatdate(usegmt=True)}
