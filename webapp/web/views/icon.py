"""/favicon.ico: the icon a browser asks for on its own for a document that names none (an image opened by itself).

Pages name theirs (static/favicon.svg, base.html); without this route those other documents log a 404.
"""

from __future__ import annotations

from flask import Blueprint, redirect, url_for

bp = Blueprint("icon", __name__)


@bp.get("/favicon.ico")
def favicon():
    return redirect(url_for("static", filename="favicon.svg"))
