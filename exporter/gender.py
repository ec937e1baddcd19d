"""Grammatical gender in quest text: «Ти {розповів|розповіла} мамі» holds both forms, and the player's role
picks one in the browser.

The page carries both forms as `<span class="g"><span data-g="m">…</span><span data-g="f">…</span></span>`
and the stylesheet shows the one of `<html data-gender>` (both, as «розповів/розповіла», before the role is
picked), so one page serves every player and nothing but CSS changes when the role is chosen. In Markdown
the variants become placeholders before the Markdown is rendered and spans after, so that Markdown never
sees (or breaks) the markup. No `{…|…}` may reach a page: the rules refuse malformed variants.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

VARIANT = re.compile(r"\{([^{}|]*)\|([^{}|]*)\}")
LOOKS_LIKE_VARIANT = re.compile(r"\{[^{}]*\|[^{}]*\}")
# Private-use characters: authors cannot type them, Markdown leaves them alone.
PLACEHOLDER = re.compile("\ue000([0-9]+)\ue001")


def variant_problem(text: str, roles: bool) -> str | None:
    """Why the variants in `text` cannot be rendered, or None. Without roles there is no gender to pick, so
    a variant is a mistake; with roles every brace must open one well-formed variant."""
    if not roles:
        found = LOOKS_LIKE_VARIANT.search(text)
        return f"gender variant {found[0]!r} in a module without `roles`" if found else None
    opened = -1
    for index, char in enumerate(text):
        if char == "{":
            if opened >= 0:
                return f"nested gender variant at {text[opened:index + 1]!r}…"
            opened = index
        elif char == "}":
            if opened < 0:
                return f"unbalanced braces: '}}' without '{{' in {text[max(0, index - 20):index + 1]!r}"
            inner = text[opened + 1:index]
            sides = inner.split("|")
            if len(sides) != 2:
                return f"a gender variant needs exactly one '|' between its forms, found {len(sides) - 1}: {{{inner}}}"
            if not all(side.strip() for side in sides):
                return f"a gender variant needs both forms, masculine|feminine: {{{inner}}}"
            opened = -1
    return f"unbalanced braces: '{{' without '}}' in {text[opened:opened + 20]!r}" if opened >= 0 else None


def _span(masculine: str, feminine: str) -> str:
    return (f'<span class="g"><span data-g="m">{escape(masculine)}</span>'
            f'<span data-g="f">{escape(feminine)}</span></span>')


def hold(text: str) -> tuple[str, list[tuple[str, str]]]:
    """`text` with each variant replaced by a placeholder, and the variants in order."""
    variants: list[tuple[str, str]] = []

    def place(match: re.Match[str]) -> str:
        variants.append((match[1], match[2]))
        return f"\ue000{len(variants) - 1}\ue001"

    return VARIANT.sub(place, text), variants


def release(html: str, variants: list[tuple[str, str]]) -> str:
    """Rendered HTML with the placeholders of `hold` turned into gender spans."""
    return PLACEHOLDER.sub(lambda match: _span(*variants[int(match[1])]), html)


def text_html(text: str) -> Markup:
    """Plain text for an element's content: escaped, with gender spans."""
    held, variants = hold(text)
    return Markup(release(str(escape(held)), variants))


def both(text: str) -> str:
    """Both forms as «розповів/розповіла»: for attributes and titles, which cannot hold spans."""
    return VARIANT.sub(lambda match: f"{match[1]}/{match[2]}", text)


def form(text: str, gender: str) -> str:
    """The text as a player of `gender` (m or f) reads it."""
    return VARIANT.sub(lambda match: match[1] if gender == "m" else match[2], text)
