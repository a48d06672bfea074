"""Workspace metrics and the machine-readable API description."""

from __future__ import annotations

from flask import g, jsonify

from webapp.domain.operations.metrics import workspace_metrics
from webapp.web.api.base import actor, bp


@bp.get("/metrics")
def metrics():
    return jsonify(workspace_metrics(actor().workspace_id, g.api_user.timezone))


@bp.get("/openapi.json")
def openapi():
    from webapp.web.api.openapi import document

    return jsonify(document())
