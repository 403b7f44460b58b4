"""Parse built pages with html.parser: links, scripts, event handlers, ids (test helper)."""
from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlsplit

URL_ATTRIBUTES = {"href", "src", "xlink:href", "action", "formaction", "data", "poster", "srcset"}
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")
EMBEDDING_TAGS = {"iframe", "object", "embed", "frame", "foreignobject", "base", "form", "meta"}


@dataclass
class PageScan:
    scripts: list[dict[str, str | None]] = field(default_factory=list)
    handlers: list[tuple[str, str]] = field(default_factory=list)
    urls: list[tuple[str, str, str]] = field(default_factory=list)      # (tag, attribute, value)
    embedding: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)                      # inline style attributes / elements
    ids: list[str] = field(default_factory=list)
    metas: list[dict[str, str | None]] = field(default_factory=list)
    text: list[str] = field(default_factory=list)


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scan = PageScan()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self.scan.scripts.append(values)
        if tag == "style":
            self.scan.styles.append("<style>")
        if tag == "meta":
            self.scan.metas.append(values)
        elif tag in EMBEDDING_TAGS:
            self.scan.embedding.append(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.scan.handlers.append((tag, name))
            if name == "style":
                self.scan.styles.append(f"{tag}[style]")
            if name == "id" and value is not None:
                self.scan.ids.append(value)
            if name in URL_ATTRIBUTES and value is not None:
                self.scan.urls.append((tag, name, value))

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        self.scan.text.append(data)


def scan(html: bytes) -> PageScan:
    parser = _Scanner()
    parser.feed(html.decode("utf-8"))
    parser.close()
    return parser.scan


def is_dangerous(url: str) -> bool:
    cleaned = "".join(ch for ch in url if not ch.isspace() and ord(ch) >= 32).lower()
    return cleaned.startswith(DANGEROUS_SCHEMES)


def internal_target(page_path: str, href: str) -> str | None:
    """The site path an internal link points to (fragment dropped), or None for external/anchor links."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path:
        return None
    resolved = urljoin("http://site.invalid/" + page_path, parts.path)
    return unquote(urlsplit(resolved).path.lstrip("/"))
