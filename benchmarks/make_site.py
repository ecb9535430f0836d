"""Generate an N-article replica of the saved site, servable by ``DevServer(folder)``.

    python benchmarks/make_site.py N OUTDIR [--per-page 20] [--faq-cap 405]

Article ``300000 + i`` is the saved article ``i % 25`` (sorted by id) with every
article id in it rewritten: its own id (canonical link, share links, page data)
becomes the new id and every other article link ("Similar Q&A", the sidebar,
legacy ``/article.php?id=`` links, dead links) points to another generated
article of the same block of 25. The question title gets a ``#<id>`` suffix, so
every item and content hash is distinct. Nothing else of the markup changes:
the chrome (scripts, styles, ads, footer) is what a crawler really downloads.

Navigation, all generated:
- ``/en/latest`` and ``/en/department/<slug>``, 20 articles a page (newest
  first), ``?page=K`` with ``rel=prev/next`` links and a window of page numbers;
- FAQ topic pages: the saved site has 135 for 25 articles; here each of the 135
  topics exists in ``V`` variants (``<topic>`` and ``<topic>-v2`` …), ``V``
  proportional to N (``N // 25``) but capped so that there are at most
  ``--faq-cap`` topic pages; block ``b`` links variant ``b % V``; a topic page
  lists (at most 20 of) the articles that link to it;
- the home page, sitemap index + article sitemaps (<= 5,000 URLs each, lastmod),
  robots.txt with its ``Sitemap:`` line; doctor, member, search, 404 and 503
  pages are copied unchanged.

Every article answers 200 (no flaky 503, no traps): the replica measures cost,
not fault handling.
"""

from __future__ import annotations

import argparse
import hashlib
import html as htmlmod
import json
import math
import re
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAVED = HERE.parent / "tests" / "fixtures" / "site"
FIRST_ID = 300000
SITEMAP_MAX_URLS = 5000
BLOCK = 25  # saved articles; one block of generated articles = one copy of them
HTML_HEADERS = {"Content-Type": "text/html; charset=utf-8"}
_ID = re.compile(r"(?<!\d)(17\d{4})(?!\d)")
_LI = re.compile(
    r'<li class="question-item"><a class="question-link" href="/en/article/(\d+)'
    r'[^"]*">.*?</li>',
    re.S,
)
_FAQ_HREF = re.compile(r'href="/en/faq/([^/"]+)/([^/"]+)"')
_QTITLE = re.compile(r'(<h2 class="question-title">)(.*?)(</h2>)', re.S)
_DEPT = re.compile(r'"department": "([^"]+)"')
_H1 = re.compile(r"<h1>(.*?)</h1>", re.S)
_TEASER = re.compile(r'<p class="similar-question">(.*?)</p>', re.S)
_ASK = re.compile(r"Ask Date: (\d{4}/\d{2}/\d{2})")


def _frame(text: str) -> tuple[str, str]:
    """A saved listing page split around its ``<main>`` content."""
    start = text.index('<main class="content">') + len('<main class="content">')
    end = text.index("</main>")
    return text[:start], text[end:]


def _title_tag(head: str, title: str, canonical: str) -> str:
    head = re.sub(r"<title>.*?</title>", f"<title>{title}</title>", head, count=1, flags=re.S)
    return re.sub(
        r'<link rel="canonical" href="[^"]*">',
        f'<link rel="canonical" href="{{{{BASE}}}}{canonical}">',
        head,
        count=1,
    )


def _pagination(path: str, page: int, pages: int) -> str:
    if pages <= 1:
        return ""

    def href(k: int) -> str:
        return path if k == 1 else f"{path}?page={k}"

    parts = []
    if page > 1:
        parts.append(f'<a class="prev" rel="prev" href="{href(page - 1)}">‹ Prev</a>')
    for k in range(max(1, page - 3), min(pages, page + 3) + 1):
        parts.append(
            f'<span class="current">{k}</span>'
            if k == page
            else f'<a class="page" href="{href(k)}">{k}</a>'
        )
    if page < pages:
        parts.append(f'<a class="next" rel="next" href="{href(page + 1)}">Next ›</a>')
    return '<div class="pagination">' + " ".join(parts) + "</div>"


def generate(n: int, out: Path, per_page: int = 20, faq_cap: int = 405) -> dict[str, int]:
    """Write the replica into ``out`` (emptied first); returns a few counts."""
    if n < 1:
        raise ValueError("N must be >= 1")
    spec = json.loads((SAVED / "routes.json").read_text(encoding="utf-8"))
    saved_routes: dict[str, dict] = spec["routes"]
    if out.exists():
        shutil.rmtree(out)
    (out / "en" / "article").mkdir(parents=True)
    routes: dict[str, dict] = {}

    # --- pages copied unchanged (chrome-only pages, doctors, member, search, errors) ----
    for name in (spec["not_found"]["file"], spec["service_unavailable"]["file"]):
        shutil.copyfile(SAVED / name, out / name)
    for path, route in saved_routes.items():
        if route.get("kind") in ("doctor", "member", "search"):
            (out / route["file"]).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(SAVED / route["file"], out / route["file"])
            routes[path] = route
    routes["/"] = saved_routes["/"]

    # --- the 25 templates --------------------------------------------------------------
    saved_ids = sorted(
        p.rsplit("/", 1)[1] for p, r in saved_routes.items() if r.get("kind") == "article"
    )
    index_of = {aid: j for j, aid in enumerate(saved_ids)}
    sitemap_lastmod: dict[str, str] = {}
    for name in sorted(SAVED.glob("sitemap-articles-*.xml")):
        for aid, lastmod in re.findall(
            r"/en/article/(\d+)</loc><lastmod>([^<]+)<", name.read_text(encoding="utf-8")
        ):
            sitemap_lastmod[aid] = lastmod
    templates = []
    for aid in saved_ids:
        route = saved_routes[f"/en/article/{aid}"]
        text = (SAVED / route["file"]).read_text(encoding="utf-8")
        dept = htmlmod.unescape(_DEPT.search(text).group(1))
        title = _H1.search(text).group(1).rsplit(" - ", 1)[0]
        templates.append(
            {
                "id": aid,
                "text": text,
                "dept": dept,
                "title": title,
                "last_modified": route["headers"]["Last-Modified"],
                "lastmod": sitemap_lastmod[aid],
                "ask": _ASK.search(text).group(1),
                "faqs": sorted(set(_FAQ_HREF.findall(text))),
            }
        )
    # a listing entry per template, as the saved listings show it
    items: dict[str, str] = {}
    for path, route in saved_routes.items():
        if route.get("kind") in ("listing", "home", "faq"):
            for m in _LI.finditer((SAVED / route["file"]).read_text(encoding="utf-8")):
                items.setdefault(m.group(1), m.group(0))
    for t in templates:
        if t["id"] not in items:  # never listed on the saved site: build the same markup
            teaser = _TEASER.search(t["text"])
            items[t["id"]] = (
                f'<li class="question-item"><a class="question-link" '
                f'href="/en/article/{t["id"]}">{t["title"]}</a><p class="teaser">'
                f'{teaser.group(1) if teaser else ""}</p><span class="ask-date">'
                f"Ask Date: {t['ask']}</span></li>"
            )
        # the listing entry's links to the article, rewritten per generated article below
        items[t["id"]] = re.sub(
            r'href="/en/article/\d+[^"]*"', 'href="/en/article/{ID}"', items[t["id"]]
        )

    # --- FAQ topic variants ----------------------------------------------------------
    topics = sorted({f for t in templates for f in t["faqs"]})
    variants = max(1, min(max(1, n // BLOCK), max(1, faq_cap // len(topics))))

    def faq_path(dept: str, topic: str, v: int) -> str:
        return f"/en/faq/{dept}/{topic}" + ("" if v == 0 else f"-v{v + 1}")

    faq_links: dict[str, list[int]] = {}

    # --- articles ----------------------------------------------------------------------
    blocks = math.ceil(n / BLOCK)
    for i in range(n):
        j, b = i % BLOCK, i // BLOCK
        t = templates[j]
        new_id = FIRST_ID + i
        v = b % variants

        def new(m: re.Match[str], b: int = b) -> str:
            other = m.group(1)
            k = index_of.get(other)
            if k is None:  # a dead link on the saved page: point it at a live article
                k = int(other) % BLOCK
            return str(FIRST_ID + (b * BLOCK + k) % n)

        text = _ID.sub(new, t["text"])
        text = _QTITLE.sub(
            lambda m: f"{m.group(1)}{m.group(2)} #{new_id}{m.group(3)}", text, count=1
        )
        if v:
            text = _FAQ_HREF.sub(lambda m: f'href="{faq_path(m.group(1), m.group(2), v)}"', text)
        for dept, topic in t["faqs"]:
            faq_links.setdefault(faq_path(dept, topic, v), []).append(i)
        name = f"en/article/{new_id}.html"
        (out / name).write_text(text, encoding="utf-8")
        etag = '"' + hashlib.sha1(text.encode("utf-8")).hexdigest()[:20] + '"'
        routes[f"/en/article/{new_id}"] = {
            "file": name,
            "status": 200,
            "kind": "article",
            "query": "utm_* ignored",
            "flaky": False,
            "headers": {**HTML_HEADERS, "Last-Modified": t["last_modified"], "ETag": etag},
        }
        routes[f"/article.php?id={new_id}"] = {
            "file": None,
            "status": 301,
            "kind": "redirect",
            "headers": {"Location": f"{{{{BASE}}}}/en/article/{new_id}", **HTML_HEADERS},
        }

    def entry(i: int) -> str:
        return items[templates[i % BLOCK]["id"]].replace("{ID}", str(FIRST_ID + i))

    # newest first: by the template's ask date, then by id (descending)
    order = sorted(range(n), key=lambda i: (templates[i % BLOCK]["ask"], i), reverse=True)

    # --- listings ----------------------------------------------------------------------
    def chrome(text: str) -> str:
        # article links in the page chrome (sidebar "Popular questions"): the first block
        return re.sub(
            r"(/en/article/)(\d+)",
            lambda m: (
                m.group(1) + str(FIRST_ID + index_of.get(m.group(2), int(m.group(2)) % BLOCK) % n)
            ),
            text,
        )

    latest_text = (SAVED / "en" / "latest.html").read_text(encoding="utf-8")
    head, tail = map(chrome, _frame(latest_text))
    dept_of_slug: dict[str, str] = {}
    index_text = (SAVED / "en" / "index.html").read_text(encoding="utf-8")
    for slug, label in re.findall(
        r'<li><a href="/en/department/([^"]+)">([^<]+)</a></li>', index_text
    ):
        dept_of_slug[slug] = htmlmod.unescape(label)
    listing_pages = 0

    def write_listing(path: str, heading: str, intro: str, members: list[int]) -> None:
        nonlocal listing_pages
        pages = max(1, math.ceil(len(members) / per_page))
        base_file = path.strip("/")
        for page in range(1, pages + 1):
            chunk = members[(page - 1) * per_page : page * per_page]
            url = path if page == 1 else f"{path}?page={page}"
            title = (
                htmlmod.escape(heading) + " - DoctorQnA" + ("" if page == 1 else f" (page {page})")
            )
            body = (
                f'\n<h1>{htmlmod.escape(heading)}</h1>{intro}<ul class="question-list">'
                + "".join(entry(i) for i in chunk)
                + "</ul>"
                + _pagination(path, page, pages)
                + "\n"
            )
            name = f"{base_file}.html" if page == 1 else f"{base_file}/page-{page}.html"
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            (out / name).write_text(_title_tag(head, title, url) + body + tail, encoding="utf-8")
            routes[url] = {
                "file": name,
                "status": 200,
                "kind": "listing",
                "headers": dict(HTML_HEADERS),
            }
            listing_pages += 1

    write_listing("/en/latest", "Latest Questions", "", order)
    for slug, label in dept_of_slug.items():
        members = [i for i in order if templates[i % BLOCK]["dept"] == label]
        write_listing(
            f"/en/department/{slug}",
            label,
            f'<p class="intro">Questions answered by {htmlmod.escape(label)} '
            f"professionals, newest first.</p>",
            members,
        )

    # --- FAQ topic pages ---------------------------------------------------------------
    saved_faq_title = {
        p: _H1.search((SAVED / r["file"]).read_text(encoding="utf-8")).group(1)
        for p, r in saved_routes.items()
        if r.get("kind") == "faq"
    }
    for path, members in faq_links.items():
        base_path = re.sub(r"-v\d+$", "", path)
        heading = htmlmod.unescape(saved_faq_title.get(base_path, base_path.rsplit("/", 1)[1]))
        topic = heading.rsplit(" (", 1)[0]
        rank = sorted(members, key=lambda i: (templates[i % BLOCK]["ask"], i), reverse=True)
        body = (
            f'\n<h1>{htmlmod.escape(heading)}</h1><p class="intro">Frequently asked '
            f'questions about {htmlmod.escape(topic)}.</p><ul class="question-list">'
            + "".join(entry(i) for i in rank[:20])
            + "</ul>\n"
        )
        name = path.strip("/") + ".html"
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(
            _title_tag(head, htmlmod.escape(heading) + " - DoctorQnA", path) + body + tail,
            encoding="utf-8",
        )
        routes[path] = {"file": name, "status": 200, "kind": "faq", "headers": dict(HTML_HEADERS)}

    # --- home ----------------------------------------------------------------------------
    home_head, home_tail = map(chrome, _frame(index_text))
    home_main = index_text[len(home_head) : len(index_text) - len(home_tail)]
    home_main = re.sub(
        r'<ul class="question-list">.*?</ul>',
        lambda m: '<ul class="question-list">' + "".join(entry(i) for i in order[:10]) + "</ul>",
        home_main,
        flags=re.S,
    )
    (out / "en" / "index.html").write_text(home_head + home_main + home_tail, encoding="utf-8")
    routes["/en/"] = saved_routes["/en/"]

    # --- sitemaps and robots.txt -----------------------------------------------------------
    index_entries = []
    for k, start in enumerate(range(0, n, SITEMAP_MAX_URLS), 1):
        ids = range(start, min(n, start + SITEMAP_MAX_URLS))
        lastmods = [templates[i % BLOCK]["lastmod"] for i in ids]
        urls = "".join(
            f"<url><loc>{{{{BASE}}}}/en/article/{FIRST_ID + i}</loc><lastmod>{lm}</lastmod></url>\n"
            for i, lm in zip(ids, lastmods)
        )
        name = f"sitemap-articles-{k}.xml"
        (out / name).write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns='
            '"http://www.sitemaps.org/schemas/sitemap/0.9">\n' + urls + "</urlset>\n",
            encoding="utf-8",
        )
        routes[f"/{name}"] = {
            "file": name,
            "status": 200,
            "kind": "sitemap",
            "headers": {"Content-Type": "application/xml"},
        }
        index_entries.append(
            f"<sitemap><loc>{{{{BASE}}}}/{name}</loc><lastmod>{max(lastmods)}</lastmod></sitemap>\n"
        )
    (out / "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex '
        'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "".join(index_entries)
        + "</sitemapindex>\n",
        encoding="utf-8",
    )
    routes["/sitemap.xml"] = saved_routes["/sitemap.xml"]
    shutil.copyfile(SAVED / "robots.txt", out / "robots.txt")
    routes["/robots.txt"] = saved_routes["/robots.txt"]

    # pages copied from the saved site: their article links point at generated articles too
    for name in [spec["not_found"]["file"], spec["service_unavailable"]["file"]] + [
        r["file"] for r in saved_routes.values() if r.get("kind") in ("doctor", "member", "search")
    ]:
        (out / name).write_text(chrome((out / name).read_text(encoding="utf-8")), encoding="utf-8")

    counts = {
        "articles": n,
        "listing_pages": listing_pages,
        "faq_pages": len(faq_links),
        "faq_variants": variants,
        "article_sitemaps": len(index_entries),
        "blocks": blocks,
    }
    (out / "routes.json").write_text(
        json.dumps(
            {
                "base_placeholder": spec.get("base_placeholder", "{{BASE}}"),
                "articles": n,
                "generated": counts,
                "not_found": spec["not_found"],
                "service_unavailable": spec["service_unavailable"],
                "traps": {},
                "routes": routes,
            },
            indent=0,
        ),
        encoding="utf-8",
    )
    return counts


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of articles")
    parser.add_argument("outdir", type=Path, help="folder to write (emptied first)")
    parser.add_argument("--per-page", type=int, default=20, help="listing entries per page")
    parser.add_argument("--faq-cap", type=int, default=405, help="most FAQ topic pages")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    counts = generate(args.n, args.outdir, args.per_page, args.faq_cap)
    elapsed = time.perf_counter() - started
    print(
        json.dumps(counts),
        f"{folder_bytes(args.outdir) / 1e6:.1f} MB in {elapsed:.1f} s",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
