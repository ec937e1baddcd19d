"""Turning the references inside manifests (hrefs, `xml:base`, AU urls) into paths inside the zip."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import unquote, urljoin, urlsplit

# A stand-in origin for the package root: relative references resolve against it as a browser would.
ROOT = "http://package.invalid/"


def package_path(reference: str, bases: Iterable[str] = ()) -> str | None:
    """The zip path a reference names, after its `xml:base`s, without query or fragment; None for a reference
    with a scheme of its own (`https:`, `urn:` …), which names nothing in the zip."""
    url = ROOT
    for part in (*bases, reference.strip()):
        url = urljoin(url, part)
    if not url.startswith(ROOT):
        return None
    return unquote(urlsplit(url).path).lstrip("/")

