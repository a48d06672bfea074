"""A's external URL and title in B's text: `{{ published.url }}` and `{{ published.title }}`, nothing else."""

from __future__ import annotations

import html
import re
from dataclasses import replace

from webapp.adapters.base import PublishRequest
from webapp.adapters.html import HTML
from webapp.domain.content import variants
from webapp.extensions import db
from webapp.models import Publication, PublicationStatus

# Exactly these names, substituted once: user text is never evaluated as a template.
PLACEHOLDER = re.compile(r"\{\{\s*published\.(url|title)\s*\}\}")


def uses(publication: Publication, name: str) -> bool:
    """Say whether the text this publication's channel gets names the placeholder `published.<name>`."""
    content = variants.resolve(publication.content, publication.channel)
    texts = (content.title, content.body, content.excerpt or "")
    return any(name in {m.group(1) for m in PLACEHOLDER.finditer(text)} for text in texts)


def fill_placeholders(publication: Publication, request: PublishRequest) -> PublishRequest:
    """Put the published parent's URL and title into a chained publication's text; others pass unchanged."""
    if publication.after_publication_id is None:
        return request
    parent = db.session.get(Publication, publication.after_publication_id)
    if parent is None or parent.status != PublicationStatus.PUBLISHED.value:
        return request
    values = {"url": parent.external_url or "", "title": variants.resolve(parent.content, parent.channel).title}
    content = request.content
    body_values = values
    if content.body_format == HTML:
        # Markdown escapes a title's "<" itself (raw HTML in Markdown is text); in HTML it must be escaped here.
        body_values = {k: html.escape(v) for k, v in values.items()}
    filled = replace(
        content,
        title=substitute(content.title, values),
        body=substitute(content.body, body_values),
        excerpt=substitute(content.excerpt, values) if content.excerpt is not None else None,
    )
    return replace(request, content=filled)


def substitute(text: str, values: dict[str, str]) -> str:
    """Replace `{{ published.url }}` and `{{ published.title }}` once each; nothing else is read as a template."""
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)
