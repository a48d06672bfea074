"""GET /metrics: Prometheus text format, for a bearer token (METRICS_TOKEN) or, without one, loopback only."""

from __future__ import annotations

import hmac
import ipaddress

from flask import Blueprint, Response, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from webapp.domain.operations.prometheus import registry

bp = Blueprint("metrics", __name__)

# A request that passed through a proxy says so; without a token it must not count as local, or a
# reverse proxy on the same machine would publish the figures to the world.
FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")


def _is_loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False


def refusal() -> Response | None:
    """Return why this request may not read the metrics, or None when it may."""
    token = current_app.config["METRICS_TOKEN"]
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return None
        return Response(
            "A valid bearer token (METRICS_TOKEN) is required.\n",
            401,
            {"WWW-Authenticate": 'Bearer realm="metrics"'},
            mimetype="text/plain",
        )
    if _is_loopback(request.remote_addr) and not any(h in request.headers for h in FORWARDING_HEADERS):
        return None
    return Response(
        "Metrics answer loopback clients only; set METRICS_TOKEN to scrape from elsewhere.\n",
        403,
        mimetype="text/plain",
    )


@bp.get("/metrics")
def metrics():
    if (refused := refusal()) is not None:
        return refused
    response = Response(generate_latest(registry()), mimetype=None, content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response
