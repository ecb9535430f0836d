"""Inline HTML for the page-part tests: a snippet's visible lines, a minimal article page."""

from __future__ import annotations

from qa_scraper.pages.article import ArticlePage
from qa_scraper.reading.lines import Line

URL = "https://www.doctorqna.com/en/article/174501"


def lines_of(body: str) -> list[Line]:
    """The visible lines of an HTML snippet, as the page object reads them."""
    return ArticlePage(URL, f"<html><body>{body}</body></html>").lines


def article(question: str, headline: str = "Headache every morning - Neurology") -> ArticlePage:
    """A minimal article page: its headline, "Share to:", then ``question`` (the question's
    title, text, asker line and "Ask Date:")."""
    return ArticlePage(
        URL,
        f"<html><head><title>{headline} | DoctorQnA</title></head><body><h1>{headline}</h1>"
        "<p>Share to: <a href='https://www.facebook.com/sharer.php?u=x'>Facebook</a></p>"
        f"{question}</body></html>",
    )
