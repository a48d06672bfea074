"""The JSON API, /api/v1: the blueprint (base.py) and one module of endpoints per kind of record.

Endpoint modules import what they share from `webapp.web.api.base`, never from this package, so that importing
them here, to register their routes on the blueprint, makes no import cycle.
"""

from __future__ import annotations

from webapp.web.api import (  # noqa: F401 - each registers its routes on the blueprint
    actions,
    alerts,
    analytics,
    audit,
    channels,
    content_templates,
    contents,
    me,
    media,
    meta,
    notifications,
    occurrences,
    publications,
    schedules,
    team,
    transfer,
    variants,
    webhooks,
)
from webapp.web.api.base import (  # noqa: F401 - the package's names, as before
    MAX_PER_PAGE,
    PUBLIC_ENDPOINTS,
    VIEWER_MAY_POST,
    ApiError,
    actor,
    bp,
    error_response,
)
