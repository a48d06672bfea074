"""Publication detail: status, timings and every attempt, live."""

from __future__ import annotations

from flask import Blueprint

from webapp.auth import ui_actor
from webapp.htmx import render
from webapp.services.publications import get_publication

bp = Blueprint("publications", __name__, url_prefix="/publications")


@bp.get("/<int:publication_id>")
def show(publication_id: int):
    publication = get_publication(ui_actor(), publication_id)
    return render("publications/show.html", block="detail", publication=publication)
