"""Workspace metrics and the machine-readable API description."""

from __future__ import annotations

from flask import g, jsonify

from webapp.api import actor, bp
from webapp.services.metrics import workspace_metrics


@bp.get("/metrics")
def metrics():
    return jsonify(workspace_metrics(actor().workspace_id, g.api_user.timezone))


@bp.get("/openapi.json")
def openapi():
    from webapp.api.openapi import document

    return jsonify(document())
