"""Render an expected item into markups unlike the saved sample's.

The real site's markup is unknown; these renderings keep only what is certain
(the visible labels, their order and the site's line breaks after honorifics)
and change everything else: tags, nesting, classes, date spellings, letter
case of labels, where line breaks fall.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from typing import Any
from urllib.parse import urlsplit

_HONORIFIC = re.compile(r"\b((?:Dr|Mr|Ms|Mrs|Prof)\.) ")

# Top-level fields that the renderers below do not draw yet: a new field, until they learn to
# draw it (README, "How to add a field"). The tests that read a rendered page compare its item
# without them (:func:`drawn`).
NOT_RENDERED: tuple[str, ...] = ()


def drawn(item: dict[str, Any]) -> dict[str, Any]:
    """The item without the fields the renderers do not draw (:data:`NOT_RENDERED`)."""
    return {key: value for key, value in item.items() if key not in NOT_RENDERED}


def _site_lines(text: str | None) -> list[str]:
    """The text as the site shows it: one <br> line each, broken after honorifics."""
    if not text:
        return []
    return [
        html.escape(_HONORIFIC.sub(r"\1\n", line)).replace("\n", "<br>")
        for line in text.split("\n")
    ]


def _asker_line(item: dict[str, Any]) -> str:
    asker = item["asker"]
    name = asker["name"] or "Anonymous"
    if asker["age_min"] is None:
        age = ""
    elif asker["age_max"] is None:
        age = f"{asker['age_min']}+"
    else:
        age = f"{asker['age_min']}~{asker['age_max']}"
    parts = [f"{age} year old" if age else "", asker["gender"] or ""]
    rest = " ".join(part for part in parts if part)
    return html.escape(f"{name}, {rest}." if rest else f"{name}.")


def _long_date(iso: str) -> str:
    return dt.date.fromisoformat(iso).strftime("%b %d, %Y").replace(" 0", " ")


def _path(url: str) -> str:
    return urlsplit(url).path


def semantic_html5(item: dict[str, Any]) -> str:
    """HTML5 sectioning elements, one <p> per line, no class or id anywhere."""
    e = html.escape
    out = [
        f"<!DOCTYPE html><html><head><title>{e(item['title'])} - {e(item['department'])}"
        f" | DoctorQnA</title><link rel=canonical href='{item['url']}'></head><body>",
        "<header><a href='/en/'>DoctorQnA</a><nav><a href='/en/latest'>Latest</a></nav></header>",
        "<div>We use cookies. <button>OK</button></div><main><article><header>",
        f"<h1>{e(item['title'])} - {e(item['department'])}</h1>",
        "<p>Share to: <a href='https://www.facebook.com/sharer.php?u=x'>Facebook</a> | "
        "<a href='https://social-plugins.line.me/?u=x'>LINE</a></p></header>",
        f"<h2>{e(item['question']['title'])}</h2>",
    ]
    out += [f"<p>{line}</p>" for line in _site_lines(item["question"]["text"])]
    out.append(
        f"<p>{_asker_line(item)}</p>"
        f"<p><time>Ask Date: {_long_date(item['question']['asked_on'])}</time></p>"
    )
    if not item["replies"]:
        out.append("<p>This question has not been answered yet.</p>")
    for reply in item["replies"]:
        out.append(
            f"<article><h3>{e(reply['responder_title'])} <b>{e(reply['responder_name'])}"
            f"</b> reply <i>{e(reply['department'])}</i></h3><div>"
        )
        out += [f"<p>{line}</p>" for line in _site_lines(reply["text"])]
        out.append(f"</div><footer>Reply Date: {reply['replied_on']}</footer></article>")
    out.append("<div><p>Advertisement</p><p>Sponsored: Buy GlucoCare now!</p></div>")
    if item["more_info"]:
        out.append("<section><h2>More Info</h2>")
        out += [f"<p>{line}</p>" for line in _site_lines(item["more_info"])]
        out.append("</section>")
    out.append("<section><h2>Similar Q&amp;A</h2><ul>")
    for entry in item["similar_questions"]:
        article_id = entry["article_id"]
        out.append(f"<li><a href='/article.php?id={article_id}'>{e(entry['title'])}</a>")
        out += [f"<p>{line}...</p>" for line in _site_lines(entry["question_excerpt"])]
        if entry["responder_name"]:
            out.append(
                f"<p>{e(entry['responder_title'])} {e(entry['responder_name'])} reply "
                f"{e(entry['department'])}</p>"
            )
            out += [f"<p>{line}...</p>" for line in _site_lines(entry["answer_excerpt"])]
        out.append(
            f"<a href='/en/article/{article_id}?utm_source=similar'>[Read More] "
            f"{e(entry['title'])}</a></li>"
        )
    out.append("</ul></section><section><h2>Related FAQ</h2>")
    out += [
        f"<p><a href='{_path(faq['url'])}'>{e(faq['topic'])}</a> ({e(faq['department'])})</p>"
        for faq in item["related_faqs"]
    ]
    out.append(
        "</section></article></main><aside><h3>Popular questions</h3>"
        "<ul><li><a href='/en/article/1'>Something else</a></li></ul></aside>"
        "<footer>Disclaimer: for reference only. &copy; 2024 DoctorQnA</footer>"
        "<script>var x = '<p>Share to:</p>';</script></body></html>"
    )
    return "".join(out)


def div_soup(item: dict[str, Any]) -> str:
    """Generic <div>/<span>/<table> markup, upper-case labels, nbsp, other date spellings."""
    e = html.escape
    out = [
        f"<html><head><link rel='canonical' href='{item['url']}'>"
        "<style>.x{color:red}</style></head><body><div><div>",
        f"<div><span>{e(item['title'])}</span> - <span>{e(item['department'])}</span></div>",
        "<div>SHARE&nbsp;TO:&nbsp;</div>",
        f"<div><span>{e(item['question']['title'])}</span></div>",
        "<div>" + "<br>".join(_site_lines(item["question"]["text"])) + "</div>",
        f"<div>{_asker_line(item)}&nbsp; <span>ASK&nbsp;DATE:</span>&nbsp;"
        f"{item['question']['asked_on'].replace('-', '/')}</div>",
    ]
    for reply in item["replies"]:
        out.append(
            f"<table><tr><td><span>{e(reply['responder_title'])}</span> "
            f"<span>{e(reply['responder_name'])}</span> reply "
            f"<span>{e(reply['department'])}</span></td></tr><tr><td>"
            + "<br>".join(_site_lines(reply["text"]))
            + "</td></tr>"
            f"<tr><td>Reply Date:</td><td>"
            f"{dt.date.fromisoformat(reply['replied_on']).strftime('%d %B %Y')}</td></tr>"
            "</table>"
        )
    if item["more_info"]:
        out.append(
            "<div><b>MORE INFO</b></div><div>"
            + "<br><br>".join(_site_lines(item["more_info"]))
            + "</div>"
        )
    if item["similar_questions"]:
        out.append("<div><strong>Similar Q&amp;A</strong></div>")
    for entry in item["similar_questions"]:
        out.append(f"<div><div><a href='{_path(entry['url'])}'>{e(entry['title'])}</a></div>")
        out.append("<div>" + "<br>".join(_site_lines(entry["question_excerpt"])) + "...</div>")
        if entry["responder_name"]:
            out.append(
                f"<div><span>{e(entry['responder_title'])}</span> "
                f"<span>{e(entry['responder_name'])}</span> reply "
                f"<span>{e(entry['department'])}</span></div>"
            )
            out.append("<div>" + "<br>".join(_site_lines(entry["answer_excerpt"])) + "...</div>")
        out.append(
            f"<div><a href='{_path(entry['url'])}'>[Read More] {e(entry['title'])}</a></div></div>"
        )
    if item["related_faqs"]:
        out.append("<div>Related FAQ</div>")
    out += [
        f"<div><a href='{_path(faq['url'])}'>{e(faq['topic'])}</a><br>"
        f"({e(faq['department'])})</div>"
        for faq in item["related_faqs"]
    ]
    out.append(
        "</div><div>Popular questions</div><div><a href='/en/article/2'>Other</a></div>"
        "<div>Disclaimer: reference only.</div></div></body></html>"
    )
    return "".join(out)


RENDERERS = {"semantic_html5": semantic_html5, "div_soup": div_soup}


def fragmented(item: dict[str, Any]) -> str:
    """Every label and value in its own block; headline without department; titles not links."""
    e = html.escape
    out = [
        f"<html><head><title>{e(item['title'])} | DoctorQnA</title></head><body>",
        "<div><a href='/en/department/cardiology'>Cardiology</a>"
        "<a href='/en/department/zoology'>Zoology</a></div>",
        f"<div><a href='/en/'>Home</a> › <a href='/en/department/x'>{e(item['department'])}</a>"
        "</div>",
        f"<h1>{e(item['title'])}</h1>",
        "<div>Share to:</div><ul><li><a href='https://twitter.com/share'>Twitter</a></li>"
        "<li><a href='https://line.me/share'>LINE</a></li><li>Email</li></ul>",
        f"<div><strong>{e(item['question']['title'])}</strong></div>",
        "<div>"
        + "".join(f"<div>{line}</div>" for line in _site_lines(item["question"]["text"]))
        + "</div>",
        f"<div>{_asker_line(item)}</div><dl><dt>Ask Date:</dt>"
        f"<dd>{item['question']['asked_on']}</dd></dl>",
    ]
    for reply in item["replies"]:
        out.append(
            f"<section><div><div>{e(reply['responder_title'])}</div>"
            f"<div><a href='/en/doctor/x'>{e(reply['responder_name'])}</a></div>"
            f"<div>reply</div><div>{e(reply['department'])}</div></div>"
            + "".join(f"<p>{line}</p>" for line in _site_lines(reply["text"]))
            + "<button>Like</button><button>Report</button>"
            f"<div>Reply Date:</div><div>{reply['replied_on'].replace('-', '/')}</div>"
            "</section>"
        )
    if item["more_info"]:
        out.append(
            "<details open><summary>More Info +</summary>"
            + "".join(f"<p>{line}</p>" for line in _site_lines(item["more_info"]))
            + "</details>"
        )
    out.append("<div><button type=button>Similar Q&amp;A</button></div>")
    for entry in item["similar_questions"]:
        out.append(f"<div><b>{e(entry['title'])}</b></div>")
        out.append("<div>" + "<br>".join(_site_lines(entry["question_excerpt"])) + "...</div>")
        if entry["responder_name"]:
            out.append(
                f"<div><div>{e(entry['responder_title'])}</div>"
                f"<div>{e(entry['responder_name'])}</div><div>reply</div>"
                f"<div>{e(entry['department'])}</div></div>"
            )
            out.append("<div>" + "<br>".join(_site_lines(entry["answer_excerpt"])) + "...</div>")
        out.append(
            f"<div><a href='/article.php?id={entry['article_id']}'>[Read More] "
            f"{e(entry['title'])}</a></div>"
        )
    out.append("<h4>Related FAQ ›</h4><ul>")
    out += [
        f"<li><a href='{_path(faq['url'])}?utm_source=faq'>{e(faq['topic'])}</a></li>"
        f"<li>({e(faq['department'])})</li>"
        for faq in item["related_faqs"]
    ]
    out.append(
        f"</ul><link rel='canonical' href='{item['url']}'><div>© 2024 DoctorQnA</div></body></html>"
    )
    return "".join(out)


RENDERERS["fragmented"] = fragmented


def compact(item: dict[str, Any]) -> str:
    """Label and text on one line ("More Info: ..."), topics several to a line, department as
    a link under a bare headline, dates with trailers, an unmarked footer."""
    e = html.escape
    dept_slug = item["department"].lower().replace(" ", "-")
    out = [
        "<html><head><title>DoctorQnA</title>",
        f"<link rel='canonical' href='{item['url']}'></head><body><div>",
        f"<h1>{e(item['title'])}</h1>",
        f"<p>Filed under <a href='/en/department/{dept_slug}'>{e(item['department'])}</a></p>",
        "<p>Share to: <img alt='Facebook' src='f.png'> <img alt='LINE' src='l.png'></p>",
        f"<h2>{e(item['question']['title'])}</h2>",
        "<p>" + "<br>".join(_site_lines(item["question"]["text"])) + "</p>",
        f"<p>{_asker_line(item)} <time datetime='{item['question']['asked_on']}'>Ask Date: "
        f"{dt.date.fromisoformat(item['question']['asked_on']).strftime('%d %b %Y')}</time></p>",
    ]
    for reply in item["replies"]:
        out.append(
            f"<div><a href='/en/doctor/x'>{e(reply['responder_title'])} "
            f"{e(reply['responder_name'])}</a> reply <a href='/en/department/{dept_slug}'>"
            f"{e(reply['department'])}</a></div>"
            + "".join(f"<p>{line}</p>" for line in _site_lines(reply["text"]))
            + f"<small>Reply Date: {reply['replied_on'].replace('-', '/')} | 3 likes"
            "</small>"
        )
    if item["more_info"]:
        first, *rest = _site_lines(item["more_info"])
        out.append(f"<p><b>More Info:</b> {first}</p>" + "".join(f"<p>{line}</p>" for line in rest))
    if item["similar_questions"]:
        out.append("<h3>Similar Q&amp;A</h3>")
    for entry in item["similar_questions"]:
        out.append(
            f"<p><a href='{_path(entry['url'])}'>{e(entry['title'])}</a><br>"
            + "<br>".join(_site_lines(entry["question_excerpt"]))
            + "...</p>"
        )
        if entry["responder_name"]:
            out.append(
                f"<p>{e(entry['responder_title'])} {e(entry['responder_name'])} reply "
                f"{e(entry['department'])}<br>"
                + "<br>".join(_site_lines(entry["answer_excerpt"]))
                + "...</p>"
            )
        out.append(f"<p><a href='{_path(entry['url'])}'>[Read More] {e(entry['title'])}</a></p>")
    if item["related_faqs"]:
        out.append(
            "<h3>Related FAQ</h3><p>"
            + " · ".join(
                f"<a href='{_path(faq['url'])}'>{e(faq['topic'])}</a> ({e(faq['department'])})"
                for faq in item["related_faqs"]
            )
            + "</p>"
        )
    out.append(
        "<div>About us | Contact | Privacy policy</div>"
        "<div>Questions answered this week: 1,024</div></div></body></html>"
    )
    return "".join(out)


RENDERERS["compact"] = compact


# --- markups a browser lays out with CSS ------------------------------------------------------
def _text_lines(text: str | None) -> list[str]:
    """The site's lines of a text (broken after honorifics), escaped, one string each."""
    if not text:
        return []
    return [
        html.escape(part)
        for line in text.split("\n")
        for part in _HONORIFIC.sub(r"\1\n", line).split("\n")
    ]


def _one_node(lines: list[str], indent: str = "      ") -> str:
    """Lines as ONE text node: a newline between them, and source indentation around."""
    return "\n" + "".join(f"{indent}{line}\n" for line in lines) + indent[:-2]


def _excerpt_lines(text: str | None) -> list[str]:
    lines = _text_lines(text)
    return lines[:-1] + [lines[-1] + "..."] if lines else []


def pre_line(item: dict[str, Any], *, stylesheet: bool = False) -> str:
    """Each multi-line text is one text node whose line breaks are shown by CSS
    ``white-space: pre-line``: from inline styles, or (``stylesheet``) from page <style>
    rules on classes. Without the style, a browser would show each text as one line."""
    e = html.escape
    if stylesheet:
        pre = ' class="qa-text"'
        head = (
            "<style>body{font:14px sans-serif}.qa-text{white-space:pre-line}"
            ".reply .qa-text{margin:4px}.note{color:#555}</style>"
        )
    else:
        pre = ' style="color: #333; white-space: pre-line;"'
        head = ""
    out = [
        f"<!DOCTYPE html><html><head><title>{e(item['title'])}</title>{head}"
        f"<link rel='canonical' href='{item['url']}'></head><body>\n<div>\n",
        f"  <h1>{e(item['title'])} - {e(item['department'])}</h1>\n",
        "  <div>Share to: <a href='https://www.facebook.com/sharer.php?u=x'>Facebook</a></div>\n",
        f"  <h2>{e(item['question']['title'])}</h2>\n",
    ]
    # The question, the asker line and the ask date: one text node.
    ask = f"{_asker_line(item)} Ask Date: {item['question']['asked_on'].replace('-', '/')}"
    out.append(f"  <div{pre}>{_one_node(_text_lines(item['question']['text']) + [ask])}</div>\n")
    for reply in item["replies"]:
        who = (
            f"{e(reply['responder_title'])} <bdi>{e(reply['responder_name'])}</bdi> reply "
            f"<span>{e(reply['department'])}</span>"
        )
        date = f"Reply Date: {reply['replied_on'].replace('-', '/')}"
        if stylesheet:
            out.append(
                f'  <div class="reply">\n    <div>{who}</div>\n'
                f"    <div{pre}>{_one_node(_text_lines(reply['text']))}</div>\n"
                f'    <div class="note">{date}</div>\n  </div>\n'
            )
        else:  # header, text and date in one pre-line block
            out.append(
                f"  <div{pre}>\n      {who}{_one_node(_text_lines(reply['text']))}"
                f"{date}\n  </div>\n"
            )
    if item["more_info"]:
        out.append(
            f"  <h2>More Info</h2>\n  <div{pre}>{_one_node(_text_lines(item['more_info']))}</div>\n"
        )
    if item["similar_questions"]:
        out.append("  <h2>Similar Q&amp;A</h2>\n")
    for entry in item["similar_questions"]:
        lines = _excerpt_lines(entry["question_excerpt"])
        if entry["responder_name"]:
            lines.append(
                f"{e(entry['responder_title'])} {e(entry['responder_name'])} reply "
                f"{e(entry['department'])}"
            )
            lines += _excerpt_lines(entry["answer_excerpt"])
        out.append(
            f"  <div><a href='{_path(entry['url'])}'>{e(entry['title'])}</a></div>\n"
            f"  <div{pre}>{_one_node(lines)}</div>\n"
            f"  <div><a href='{_path(entry['url'])}'>[Read More] {e(entry['title'])}</a>"
            "</div>\n"
        )
    if item["related_faqs"]:
        out.append("  <h2>Related FAQ</h2>\n")
    out += [
        f"  <div><a href='{_path(faq['url'])}'>{e(faq['topic'])}</a> "
        f"({e(faq['department'])})</div>\n"
        for faq in item["related_faqs"]
    ]
    out.append("</div>\n<div>Disclaimer: reference only.</div>\n</body></html>")
    return "".join(out)


RENDERERS["pre_line_inline_style"] = pre_line
RENDERERS["pre_line_stylesheet"] = lambda item: pre_line(item, stylesheet=True)


def collapsed(item: dict[str, Any], *, with_ids: bool = True) -> str:
    """ "More Info" collapsed until a reader presses its button: a hidden container that a
    script would reveal, with hidden chrome inside the article's sections that is never
    content (a modal, a <template>, a <noscript>, a cookie banner, a "Show more" toggle's
    label, hidden tracking and spam elements)."""
    e = html.escape
    more_id = " id='more-info-body'" if with_ids else ""
    out = [
        f"<!DOCTYPE html><html><head><title>{e(item['title'])} - {e(item['department'])}"
        f"</title><link rel=canonical href='{item['url']}'>"
        "<style>.modal{position:fixed}</style></head><body><main><article>",
        f"<h1>{e(item['title'])} - {e(item['department'])}</h1>",
        "<p>Share to: <a href='https://twitter.com/share'>Twitter</a></p>",
        f"<h2>{e(item['question']['title'])}</h2><div>",
    ]
    lines = _site_lines(item["question"]["text"])
    for index, line in enumerate(lines):
        out.append(f"<p>{line}<span style='display:none'>TRACKING_PIXEL_TEXT</span></p>")
        if index == 0:
            out.append(
                "<div hidden>HIDDEN_SPAM_TEXT buy now</div>"
                "<div style='visibility: hidden'>INVISIBLE_SPAM_TEXT</div>"
            )
    out.append(f"</div><p>{_asker_line(item)} Ask Date: {item['question']['asked_on']}</p>")
    for number, reply in enumerate(item["replies"]):
        out.append(
            f"<section><h3>{e(reply['responder_title'])} {e(reply['responder_name'])} "
            f"reply {e(reply['department'])}</h3>"
        )
        out += [f"<p>{line}</p>" for line in _site_lines(reply["text"])]
        out.append(
            "<div role='dialog' aria-modal='true' hidden><p>Rate this answer</p>"
            "<button>Submit</button></div>"
            f"<p>Reply Date: {reply['replied_on']}</p>"
            f"<button type='button' aria-expanded='false'>Show {number + 2} more comments"
            "</button></section>"
        )
    out.append(
        "<div class='cookie-banner' role='region' aria-label='Cookie consent'>"
        "We use cookies to improve your experience. <button>Accept all</button></div>"
    )
    if item["more_info"]:
        out.append(
            "<section><h2>More Info</h2>"
            "<template><p>TEMPLATE_TEXT More Info</p></template>"
            "<noscript><p>NOSCRIPT_TEXT: enable JavaScript to read more</p></noscript>"
            "<dialog><p>DIALOG_TEXT Subscribe to read the full article</p>"
            "<button>Subscribe</button></dialog>"
            f"<div{more_id} hidden>"
        )
        out += [f"<p>{line}</p>" for line in _site_lines(item["more_info"])]
        out.append(
            "<span hidden>TRACKING_IN_MORE_INFO</span></div>"
            "<button type='button' aria-expanded='false' aria-controls='more-info-body'>"
            "Read full article</button></section>"
        )
    out.append(
        "<section><h2>Similar Q&amp;A</h2>"
        "<div><p>We use cookies to personalise the questions we show.</p>"
        "<button>OK</button></div>"
    )
    for entry in item["similar_questions"]:
        out.append(f"<div><a href='{_path(entry['url'])}'>{e(entry['title'])}</a>")
        out += [f"<p>{line}...</p>" for line in _site_lines(entry["question_excerpt"])]
        if entry["responder_name"]:
            out.append(
                f"<p>{e(entry['responder_title'])} {e(entry['responder_name'])} reply "
                f"{e(entry['department'])}</p>"
            )
            out += [f"<p>{line}...</p>" for line in _site_lines(entry["answer_excerpt"])]
        out.append(f"<a href='{_path(entry['url'])}'>[Read More] {e(entry['title'])}</a></div>")
    out.append(
        "<div role='menu' hidden><a role='menuitem' href='/en/'>MENU_TEXT Home</a></div>"
        "</section><section><h2>Related FAQ</h2>"
    )
    out += [
        f"<p><a href='{_path(faq['url'])}'>{e(faq['topic'])}</a> ({e(faq['department'])})</p>"
        for faq in item["related_faqs"]
    ]
    out.append(
        "<div class='modal' role='dialog' hidden>MODAL_TEXT Sign up</div>"
        "</section></article></main><footer>© 2024 DoctorQnA</footer></body></html>"
    )
    return "".join(out)


RENDERERS["collapsed_more_info"] = collapsed
RENDERERS["collapsed_more_info_no_ids"] = lambda item: _strip_class_and_id(
    collapsed(item, with_ids=False)
)

# Text that the collapsed renderer hides and that must never reach an item.
NEVER_CONTENT_MARKERS = (
    "TRACKING_PIXEL_TEXT",
    "HIDDEN_SPAM_TEXT",
    "INVISIBLE_SPAM_TEXT",
    "Rate this answer",
    "more comments",
    "We use cookies",
    "TEMPLATE_TEXT",
    "NOSCRIPT_TEXT",
    "DIALOG_TEXT",
    "TRACKING_IN_MORE_INFO",
    "Read full article",
    "MENU_TEXT",
    "MODAL_TEXT",
    "Accept all",
)


def _strip_class_and_id(markup: str) -> str:
    from tests.conftest import strip_class_and_id

    return strip_class_and_id(markup)


# --- browser translation wrappers ---------------------------------------------------------------
_FONT = '<font style="vertical-align: inherit;">'
# Where a translation tool splits text into fragments: inside labels and after sentences.
_FRAGMENT_END = re.compile(
    r"(?<=\bAsk )|(?<=\bShare )|(?<=\bReply )|(?<=\bMore )|"
    r"(?<=\bSimilar )|(?<=\bRelated )|(?<=\[Read )|(?<=[.?!] )"
)


def translated(markup: str) -> str:
    """What a browser translation tool leaves: every text fragment (labels included, split
    into pieces like "Ask " + "Date:") wrapped in two nested <font> elements; the space
    between two fragments is sometimes inside a fragment and sometimes between them."""
    from lxml import html as lxml_html

    root = lxml_html.document_fromstring(markup)
    spots = []
    for element in root.iter():
        if not isinstance(element.tag, str) or element.tag in (
            "head",
            "title",
            "script",
            "style",
            "html",
        ):
            continue
        if any(ancestor.tag == "head" for ancestor in element.iterancestors()):
            continue
        if element.text and element.text.strip():
            spots.append((element, "text"))
        if (
            element.tail
            and element.tail.strip()
            and element.getparent() is not None
            and element.getparent().tag != "html"
        ):
            spots.append((element, "tail"))
    counter = 0
    for element, where in spots:
        text = element.text if where == "text" else element.tail
        pieces = [piece for piece in _FRAGMENT_END.split(text) if piece]
        fonts = []
        for piece in pieces:
            counter += 1
            outside = ""
            if counter % 2 and piece.endswith(" ") and piece.strip():
                piece, outside = piece.rstrip(" "), " "  # the space between the fragments
            outer = lxml_html.fragment_fromstring(f"{_FONT}{_FONT}</font></font>")
            outer[0].text = piece
            outer.tail = outside or None
            fonts.append(outer)
        if where == "text":
            element.text = None
            for index, font in enumerate(fonts):
                element.insert(index, font)
        else:
            element.tail = None
            parent = element.getparent()
            position = parent.index(element)
            for offset, font in enumerate(fonts, start=1):
                parent.insert(position + offset, font)
    return lxml_html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")


RENDERERS["translated_semantic_html5"] = lambda item: translated(semantic_html5(item))
RENDERERS["translated_div_soup"] = lambda item: translated(div_soup(item))
RENDERERS["translated_no_class_id"] = lambda item: _strip_class_and_id(translated(fragmented(item)))


# --- hostile variants: written after the reader, not designed against -------------------------
def pre_wrap_compound(item: dict[str, Any]) -> str:
    """Written after the reader, not designed against: white-space from compound, child and
    attribute selectors (with a less specific decoy rule and a print-only one), tab
    indentation, an "Ask Date:" split over source lines."""
    e = html.escape

    def node(lines: list[str], indent: str = "\t\t") -> str:
        return "\n" + "".join(f"{indent}{line}\n" for line in lines) + "\t"

    css = (
        "div.qa > p.body{white-space:pre-wrap}"
        "div.qa p{white-space:normal}"  # less specific than div.qa > p.body
        "article.more [data-text]{white-space:break-spaces}"
        "ul.sim > li > p{white-space:pre-line}"
        ".qa .body .sig{white-space:inherit}"
        "@media print{div.qa > p.body{white-space:normal}}"
    )
    out = [
        f"<!DOCTYPE html><html><head><title>{e(item['title'])}</title><style>{css}</style>"
        f"<link rel='canonical' href='{item['url']}'></head><body>",
        f"<h1>{e(item['title'])} - {e(item['department'])}</h1>",
        "<div>Share&nbsp;to:</div>",
        f"<div class='qa question'><h2>{e(item['question']['title'])}</h2>"
        f"<p class='body'>{node(_text_lines(item['question']['text']))}</p>"
        f"<p>{_asker_line(item)}\n  Ask Date:\n  {item['question']['asked_on']}</p></div>",
    ]
    for reply in item["replies"]:
        lines = _text_lines(reply["text"])
        out.append(
            f"<div class='qa reply'><div>{e(reply['responder_title'])} "
            f"{e(reply['responder_name'])} reply {e(reply['department'])}</div>"
            f"<p class='body'>{node(lines[:-1])}"
            f"<span class='sig'>{lines[-1] if lines else ''}"
            f"</span>\n</p><p>Reply Date: {reply['replied_on']}</p></div>"
        )
    if item["more_info"]:
        out.append(
            "<article class='more'><h2>More Info</h2>"
            f"<div data-text>{node(_text_lines(item['more_info']))}</div></article>"
        )
    if item["similar_questions"]:
        out.append("<h2>Similar Q&amp;A</h2><ul class='sim'>")
        for entry in item["similar_questions"]:
            lines = _excerpt_lines(entry["question_excerpt"])
            if entry["responder_name"]:
                lines.append(
                    f"{e(entry['responder_title'])} {e(entry['responder_name'])} reply "
                    f"{e(entry['department'])}"
                )
                lines += _excerpt_lines(entry["answer_excerpt"])
            out.append(
                f"<li><a href='{_path(entry['url'])}'>{e(entry['title'])}</a>"
                f"<p>{node(lines)}</p><a href='{_path(entry['url'])}'>[Read More] "
                f"{e(entry['title'])}</a></li>"
            )
        out.append("</ul>")
    if item["related_faqs"]:
        out.append("<h2>Related FAQ</h2>")
    out += [
        f"<div><a href='{_path(faq['url'])}'>{e(faq['topic'])}</a> ({e(faq['department'])})</div>"
        for faq in item["related_faqs"]
    ]
    out.append("<div>Disclaimer: reference only.</div></body></html>")
    return "".join(out)


def details_and_css_collapse(item: dict[str, Any]) -> str:
    """Written after the reader, not designed against: More Info in a closed <details> whose
    summary holds the label; Similar Q&A collapsed by a sibling-combinator rule after an
    aria-expanded=false toggle; hidden chrome by !important and visibility rules."""
    e = html.escape
    css = (
        "[aria-expanded=false] + .panel{display:none}"
        ".banner{display:none !important}"
        ".promo{visibility:hidden}"
        ".panel .teaser-only{display:none}"
    )
    out = [
        f"<!DOCTYPE html><html><head><title>{e(item['title'])}</title><style>{css}</style>"
        f"<link rel='canonical' href='{item['url']}'></head><body><div>",
        f"<h1>{e(item['title'])} - {e(item['department'])}</h1>",
        "<div>Share to: <a href='https://www.facebook.com/x'>f</a></div>",
        f"<h2>{e(item['question']['title'])}</h2>",
        "<div>"
        + "<br>".join(f"<span>{line}</span>" for line in _text_lines(item["question"]["text"]))
        + "<span class='promo'>PROMO_TEXT</span></div>",
        f"<div>{_asker_line(item)}<br>Ask Date: {item['question']['asked_on']}</div>",
    ]
    for reply in item["replies"]:
        out.append(
            f"<div><div>{e(reply['responder_title'])} {e(reply['responder_name'])} reply "
            f"{e(reply['department'])}</div><div>"
            + "<br>".join(_text_lines(reply["text"]))
            + f"</div><div class='banner'>BANNER_TEXT subscribe</div>"
            f"<div>Reply Date: {reply['replied_on']}</div></div>"
        )
    if item["more_info"]:
        out.append(
            "<details><summary><h2>More Info</h2></summary><div>"
            + "".join(f"<p>{line}</p>" for line in _text_lines(item["more_info"]))
            + "</div></details>"
        )
    if item["similar_questions"]:
        out.append(
            "<div><h2>Similar Q&amp;A</h2><button aria-expanded='false'>Show all</button>"
            "<div class='panel'><p class='teaser-only'>TEASER_ONLY_TEXT</p>"
        )
        for entry in item["similar_questions"]:
            out.append(f"<div><a href='{_path(entry['url'])}'>{e(entry['title'])}</a></div>")
            out.append("<div>" + "<br>".join(_excerpt_lines(entry["question_excerpt"])) + "</div>")
            if entry["responder_name"]:
                out.append(
                    f"<div>{e(entry['responder_title'])} {e(entry['responder_name'])} "
                    f"reply {e(entry['department'])}</div><div>"
                    + "<br>".join(_excerpt_lines(entry["answer_excerpt"]))
                    + "</div>"
                )
            out.append(
                f"<div><a href='{_path(entry['url'])}'>[Read More] {e(entry['title'])}</a></div>"
            )
        out.append("</div></div>")
    if item["related_faqs"]:
        out.append("<h2>Related FAQ</h2>")
    out += [
        f"<div><a href='{_path(faq['url'])}'>{e(faq['topic'])}</a> ({e(faq['department'])})</div>"
        for faq in item["related_faqs"]
    ]
    out.append("</div><div>© DoctorQnA</div></body></html>")
    return "".join(out)


RENDERERS["hostile_pre_wrap_compound_selectors"] = pre_wrap_compound
RENDERERS["hostile_details_and_css_collapse"] = details_and_css_collapse


def inline_read_more(item: dict[str, Any]) -> str:
    """A third hostile variant, which failed first (19 of 25 replies cut to their first line
    plus "Read more"): each reply shows its first line; the rest sits in a hidden inline
    <span> followed by a plain "Read more" link to "#" (no aria attribute, no id)."""
    markup = semantic_html5(item)

    def collapse(match: re.Match[str]) -> str:
        body = match.group(1)
        paragraphs = re.findall(r"<p>.*?</p>", body)
        if len(paragraphs) < 2:
            return match.group(0)
        rest = "".join(
            p.replace("<p>", "<span style='display:block'>").replace("</p>", "</span>")
            for p in paragraphs[1:]
        )
        return (
            f"</h3><div>{paragraphs[0]}<p><span class='more-text' style='display:none'>"
            f"{rest}</span><a href='#' class='more-link'>Read more</a></p></div>"
        )

    return re.sub(r"</h3><div>(.*?)</div>", collapse, markup, flags=re.S)


RENDERERS["hostile_inline_read_more"] = inline_read_more


def translated_pre_line_body_style(item: dict[str, Any]) -> str:
    """A fourth hostile variant, written after the third fix and passing as written: the
    pre-line text nodes cut into translation <font> fragments, the white-space rule in a
    <style> at the end of <body> with ``:is()`` and ``:not()`` selectors."""
    markup = pre_line(item, stylesheet=True).replace(".qa-text{white-space:pre-line}", "")
    markup = markup.replace(
        "</body>", "<style>:is(.qa-text, .none):not(.x){white-space:pre-line}</style></body>"
    )
    return translated(markup)


RENDERERS["hostile_translated_pre_line_body_style"] = translated_pre_line_body_style


# --- text drawn by CSS: list markers and generated content ----------------------------------
_NUMBERED_RUN = re.compile(r"(?:<p>\d+\. (?:(?!</p>).)*</p>)+")
_NUMBERED_ITEM = re.compile(r"<p>(\d+)\. ((?:(?!</p>).)*)</p>")


def _as_lists(markup: str, list_for) -> str:
    """Every run of numbered paragraphs ("<p>1. …</p><p>2. …</p>") as a list whose markers
    draw the numbers: ``list_for(numbers, texts)`` gives the list's markup."""

    def replace(run: re.Match) -> str:
        found = _NUMBERED_ITEM.findall(run.group(0))
        return list_for([int(number) for number, _ in found], [text for _, text in found])

    return _NUMBERED_RUN.sub(replace, markup)


def ordered_lists(item: dict[str, Any]) -> str:
    """The numbered lines of replies and More Info as <ol> items: the numbers are drawn by the
    list markers (not in the HTML), split over several lists by ``start``, one reversed
    one-item list, ``<li value>``, and ``<p>`` blocks inside the items."""

    def list_for(numbers: list[int], texts: list[str]) -> str:
        first = f"<ol><li><p>{texts[0]}</p></li></ol>" if numbers[0] == 1 else ""
        rest = list(zip(numbers, texts, strict=True))[1 if first else 0 :]
        out = first
        if rest:
            number, text = rest[0]
            out += f"<ol reversed start='{number}'><li>{text}</li></ol>"
        if len(rest) > 1:
            out += f"<ol start='{rest[1][0]}'>"
            for index, (number, text) in enumerate(rest[1:]):
                value = f" value='{number}'" if index == len(rest) - 2 else ""
                out += f"<li{value}>{text}</li>"
            out += "</ol>"
        return out

    return _as_lists(semantic_html5(item), list_for)


def styled_lists(item: dict[str, Any]) -> str:
    """Numbered lines drawn by CSS on lists that are not <ol>: a <ul> made ``decimal``, a
    ``display: list-item`` div list with ``list-style-position: inside``, and a counter of
    the page's own in ``::before`` (the ``list-style: none`` list keeps no marker)."""
    css = (
        "ul.steps{list-style-type:decimal}"
        ".items > div{display:list-item;list-style:decimal inside}"
        "ol.own{list-style:none;counter-reset:step}"
        "ol.own > li::before{counter-increment:step;content:counter(step) '. '}"
        "ul.plain{list-style:none} ul.plain li::before{content:counter(list-item) '. '}"
    )
    kinds = iter(range(10_000))

    def list_for(numbers: list[int], texts: list[str]) -> str:
        kind = next(kinds) % 4
        start = numbers[0]
        if kind == 0:
            return "<ul class='steps'>" + "".join(f"<li>{t}</li>" for t in texts) + "</ul>"
        if kind == 1 and start == 1:
            return "<div class='items'>" + "".join(f"<div>{t}</div>" for t in texts) + "</div>"
        if kind == 2 and start == 1:
            return "<ol class='own'>" + "".join(f"<li>{t}</li>" for t in texts) + "</ol>"
        return (
            f"<ul class='plain' style='counter-reset: list-item {start - 1}'>"
            + "".join(f"<li>{t}</li>" for t in texts)
            + "</ul>"
        )

    markup = _as_lists(semantic_html5(item), list_for)
    return markup.replace("</head>", f"<style>{css}</style></head>", 1)


def generated_labels(item: dict[str, Any]) -> str:
    """The labels are drawn by ``::before``/``::after``: "Ask Date:" from
    ``content: attr(data-label)`` on the element holding the date, "Reply Date:" and
    "Share to:" from strings, the section headings from ``attr()`` on empty headings."""
    css = (
        "time[data-label]::before{content:attr(data-label) ' '}"
        "footer.rd::before{content:'Reply Date: '}"
        "p.share::before{content:'Share to:';display:block}"
        "h2[data-section]::after{content:attr(data-section)}"
        "h2.sim::before{content:'Similar Q' '&' 'A'}"
    )
    markup = semantic_html5(item)
    markup = markup.replace("<time>Ask Date: ", "<time data-label='Ask Date:'>")
    markup = markup.replace("<footer>Reply Date: ", "<footer class='rd'>")
    markup = markup.replace("<p>Share to: ", "<p class='share'>")
    markup = markup.replace("<h2>More Info</h2>", "<h2 data-section='More Info'></h2>")
    markup = markup.replace("<h2>Related FAQ</h2>", "<h2 data-section='Related FAQ'></h2>")
    markup = markup.replace("<h2>Similar Q&amp;A</h2>", "<h2 class='sim'></h2>")
    return markup.replace("</head>", f"<style>{css}</style></head>", 1)


RENDERERS["css_ordered_lists"] = ordered_lists
RENDERERS["css_styled_lists"] = styled_lists
RENDERERS["css_generated_labels"] = generated_labels
# Markups whose text is partly drawn by CSS (not in the HTML): an HTML-only reading such as
# html-text's cannot hold it; the browser oracle (tests/test_browser_oracle.py) checks them.
CSS_DRAWN = frozenset({"css_ordered_lists", "css_styled_lists", "css_generated_labels"})


# --- a section a script fills after the load, from the same host ------------------------------
SCRIPT_FILLED_NOISE = ("/en/member/track", "/img/spinner.png", "http://203.0.113.9/collect")


def script_filled(item: dict[str, Any]) -> tuple[str, str, str]:
    """The "Similar Q&A" section holds only a placeholder ("Loading…", ``aria-busy``); a
    script fetches the entries from a same-host JSON endpoint and builds them. The script
    also asks for a robots-disallowed path, an image and another host (all refused by the
    crawler). Returns (page HTML, the endpoint's path, its JSON body)."""
    data_path = f"/api/similar/{item['article_id']}.json"
    entries = []
    for entry in item["similar_questions"]:
        responder = (
            f"{entry['responder_title']} {entry['responder_name']} reply {entry['department']}"
            if entry["responder_name"]
            else None
        )
        entries.append(
            {
                "id": entry["article_id"],
                "title": entry["title"],
                "question": (entry["question_excerpt"] or "").split("\n"),
                "responder": responder,
                "answer": (entry["answer_excerpt"] or "").split("\n") if responder else [],
            }
        )
    script = (
        "(async () => {"
        "const box = document.getElementById('similar-box');"
        f"fetch('{SCRIPT_FILLED_NOISE[0]}').catch(() => {{}});"
        f"const img = new Image(); img.src = '{SCRIPT_FILLED_NOISE[1]}';"
        f"fetch('{SCRIPT_FILLED_NOISE[2]}').catch(() => {{}});"
        f"const data = await (await fetch('{data_path}')).json();"
        "box.textContent = '';"
        "const add = (parent, tag, text) => { const el = document.createElement(tag);"
        " el.textContent = text; parent.appendChild(el); return el; };"
        "for (const e of data.entries) {"
        " const li = document.createElement('li');"
        " add(li, 'a', e.title).href = '/article.php?id=' + e.id;"
        " for (const line of e.question) add(li, 'p', line + '...');"
        " if (e.responder) { add(li, 'p', e.responder);"
        "  for (const line of e.answer) add(li, 'p', line + '...'); }"
        " add(li, 'a', '[Read More] ' + e.title).href = '/en/article/' + e.id"
        " + '?utm_source=similar';"
        " box.appendChild(li); }"
        "box.removeAttribute('aria-busy');"
        "})();"
    )
    markup = semantic_html5(item)
    start = markup.index("<section><h2>Similar Q&amp;A</h2><ul>")
    end = markup.index("</ul></section>", start)
    markup = (
        markup[:start] + "<section><h2>Similar Q&amp;A</h2><ul id='similar-box' aria-busy='true'>"
        "<li>Loading…</li>" + markup[end:]
    )
    markup = markup.replace("</body>", f"<script>{script}</script></body>", 1)
    return markup, data_path, json.dumps({"entries": entries})


def numbered_sections(item: dict[str, Any]) -> str:
    """Similar Q&A entries and Related FAQ topics in ordered lists: a title is drawn as
    "2. <title>" (the marker outside its link) but is still the title; the numbered lines of
    replies and More Info as in :func:`ordered_lists`."""
    markup = ordered_lists(item)
    markup = markup.replace("<h2>Similar Q&amp;A</h2><ul>", "<h2>Similar Q&amp;A</h2><ol>")
    markup = markup.replace(
        "</ul></section><section><h2>Related FAQ</h2>",
        "</ol></section><section><h2>Related FAQ</h2><ol style='list-style-position:inside'>",
    )
    markup = markup.replace("</section></article></main>", "</ol></section></article></main>")
    return re.sub(r"<p>(<a href='/en/faq[^>]*>[^<]*</a> \([^)]*\))</p>", r"<li>\1</li>", markup)


RENDERERS["css_numbered_sections"] = numbered_sections
CSS_DRAWN = CSS_DRAWN | {"css_numbered_sections"}
