"""The browser reader: what Chromium draws, as HTML the line reader reads without guessing CSS.

After the page's scripts have run, :func:`rendered_html` asks the page itself to write its
rendered DOM back as HTML (the script :data:`SERIALIZE_JS`): every element with its
attributes and, in place of its ``style`` and the page's stylesheets, the *computed* values
the line reader uses (``display``, ``visibility``, ``white-space-collapse``,
``list-style-position``). The text CSS draws (``::before``/``::after`` content, list markers)
is taken from Chromium's own layout tree (CDP ``DOMSnapshot.captureSnapshot``: the text of
each pseudo-element's layout objects, counters and ``attr()`` already resolved) and written
as plain ``content: "…"`` rules. :func:`qa_scraper.reading.lines.visible_lines` then reads that
HTML with the same reading rules (labels, chrome, collapsed content) as any page: the
browser decides what is drawn and how, the project's rules decide what of it is content.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

from qa_scraper.reading.generated import is_bullet

# Chromium's flags: as root it needs --no-sandbox; nothing in the background talks to the
# network (no component updates, sync, first-run pages).
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--mute-audio",
)
_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def browser_path(configured: str | None = None) -> str | None:
    """The Chromium to run: ``configured`` (the ``QA_BROWSER_PATH`` setting or environment
    variable) if set, else the first Chromium on PATH; None when there is none."""
    configured = configured if configured is not None else os.environ.get("QA_BROWSER_PATH")
    if configured:
        found = shutil.which(configured)
        return found if found else None
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


# Numbers every element (data-qa-n, so the layout snapshot's pseudo-elements can be put back
# on their element) and writes the rendered DOM as HTML with computed styles inline.
SERIALIZE_JS = r"""
() => {
  const VOID = new Set(["area","base","br","col","embed","hr","img","input","link","meta",
                        "source","track","wbr"]);
  const DROP = new Set(["script","style","noscript","template"]);
  const PRE = new Set(["pre","listing","xmp","plaintext"]);
  const escText = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const escAttr = (s) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
  let counter = 0;
  const out = [];
  const walk = (el, parentStyle) => {
    const tag = el.localName;
    if (DROP.has(tag)) return;
    if (tag === "link" && /\bstylesheet\b/i.test(el.getAttribute("rel") || "")) return;
    const n = String(counter++);
    el.setAttribute("data-qa-n", n);
    const cs = getComputedStyle(el);
    const style = ["display:" + cs.display];
    if (cs.visibility !== parentStyle.visibility) style.push("visibility:" + cs.visibility);
    if (cs.whiteSpaceCollapse !== parentStyle.whiteSpaceCollapse || PRE.has(tag))
      style.push("white-space-collapse:" + cs.whiteSpaceCollapse);
    if (cs.display.split(" ").includes("list-item"))
      style.push("list-style-type:none", "list-style-position:" + cs.listStylePosition);
    out.push("<" + tag);
    for (const attr of el.attributes) {
      if (attr.name === "style") continue;
      out.push(" " + attr.name + '="' + escAttr(attr.value) + '"');
    }
    out.push(' style="' + style.join(";") + '">');
    if (VOID.has(tag)) return;
    const mine = {visibility: cs.visibility, whiteSpaceCollapse: cs.whiteSpaceCollapse};
    for (const child of el.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) out.push(escText(child.data));
      else if (child.nodeType === Node.ELEMENT_NODE) walk(child, mine);
    }
    out.push("</" + tag + ">");
  };
  walk(document.documentElement, {visibility: "visible", whiteSpaceCollapse: "collapse"});
  return "<!DOCTYPE html>" + out.join("");
}
"""

_PSEUDO = ("before", "after", "marker")
_SNAPSHOT_STYLES = ["display", "visibility", "white-space-collapse"]


def _css_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ")
    return f'"{escaped}"'


def generated_css(snapshot: dict[str, Any]) -> str:
    """``content: "…"`` rules for every pseudo-element Chromium drew text for, from a CDP
    ``DOMSnapshot.captureSnapshot`` (styles: :data:`_SNAPSHOT_STYLES`)."""
    strings = snapshot["strings"]
    rules = []
    for document in snapshot["documents"][:1]:  # the page itself, not its frames
        nodes, layout = document["nodes"], document["layout"]
        pseudo_of = dict(
            zip(nodes["pseudoType"]["index"], nodes["pseudoType"]["value"], strict=False)
        )
        drawn: dict[int, list[str]] = {}
        styles: dict[int, list[str]] = {}
        for position, node in enumerate(layout["nodeIndex"]):
            if node not in pseudo_of:
                continue
            styles.setdefault(node, [strings[i] for i in layout["styles"][position]])
            text = layout["text"][position]
            drawn.setdefault(node, [])
            if text >= 0:
                drawn[node].append(strings[text])
        for node, parts in drawn.items():
            pseudo = strings[pseudo_of[node]]
            host = nodes["parentIndex"][node]
            if pseudo not in _PSEUDO or host < 0:
                continue
            attributes = nodes["attributes"][host]
            names = [strings[i] for i in attributes[0::2]]
            if "data-qa-n" not in names:
                continue
            number = strings[attributes[1::2][names.index("data-qa-n")]]
            display, visibility, white_space = styles[node]
            if pseudo == "marker" and is_bullet("".join(parts)):
                continue  # a bullet glyph is not read (qa_scraper.reading.generated)
            declarations = [f"content:{_css_string(''.join(parts))}"]
            if pseudo != "marker":
                declarations.append(f"display:{display}")
                declarations.append(f"visibility:{visibility}")
                declarations.append(f"white-space-collapse:{white_space}")
            rules.append(f'[data-qa-n="{number}"]::{pseudo}{{{";".join(declarations)}}}')
    return "".join(rules)


SNAPSHOT = ("DOMSnapshot.captureSnapshot", {"computedStyles": _SNAPSHOT_STYLES})


def with_generated_css(html: str, snapshot: dict[str, Any]) -> str:
    """The serialized page (:data:`SERIALIZE_JS`) with the text Chromium drew for its
    pseudo-elements (a ``DOMSnapshot`` taken after the serialization) as a ``<style>``."""
    style = f"<style>{generated_css(snapshot)}</style>"
    head = html.find("<head")
    close = html.find(">", head) if head >= 0 else -1
    if close < 0:
        return html.replace("<!DOCTYPE html>", "<!DOCTYPE html>" + style, 1)
    return html[: close + 1] + style + html[close + 1 :]


async def rendered_html(page: Any) -> str:
    """The page as Chromium renders it, for the line reader (module docstring). ``page`` is a
    Playwright page (async API) whose scripts have run."""
    html = await page.evaluate(SERIALIZE_JS)
    session = await page.context.new_cdp_session(page)
    try:
        snapshot = await session.send(*SNAPSHOT)
    finally:
        await session.detach()
    return with_generated_css(html, snapshot)


def rendered_html_sync(page: Any) -> str:
    """:func:`rendered_html` for a page of Playwright's sync API (the tests' oracle)."""
    html = page.evaluate(SERIALIZE_JS)
    session = page.context.new_cdp_session(page)
    try:
        snapshot = session.send(*SNAPSHOT)
    finally:
        session.detach()
    return with_generated_css(html, snapshot)
