"""Markdown for lesson text: CommonMark without raw HTML, so authors cannot smuggle markup or scripts."""

from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt

from exporter.gender import hold, release

_render = MarkdownIt("commonmark", {"html": False, "typographer": False})


def _open_link_outside(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
    """Links in lesson text leave the LMS frame in a new tab and do not hand it the page."""
    tokens[idx].attrSet("target", "_blank")
    tokens[idx].attrSet("rel", "noopener noreferrer")
    return str(self.renderToken(tokens, idx, options, env))


_render.add_render_rule("link_open", _open_link_outside)
_detect = MarkdownIt("commonmark", {"html": True})


def refuse_raw_html(text: str) -> str:
    """Refuse raw HTML in lesson Markdown; used as a model validator so the error gets a position."""
    for token in _detect.parse(text):
        found = [token] if token.type == "html_block" else []
        found += [child for child in token.children or [] if child.type == "html_inline"]
        if found:
            raise ValueError(f"raw HTML is not allowed in Markdown (found {found[0].content.strip()[:40]!r})")
    return text


def to_html(text: str) -> str:
    """Render Markdown to HTML, gender variants as spans (exporter/gender.py); raw HTML would be escaped, but
    the model refuses it earlier."""
    held, variants = hold(text)
    return release(str(_render.render(held)), variants)


def to_inline_html(text: str) -> str:
    """Render one line of Markdown without the wrapping paragraph, for labels and feedback."""
    held, variants = hold(text)
    return release(str(_render.renderInline(held)), variants)
