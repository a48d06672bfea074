"""Who is acting: passed into services so they never touch the request or current_user."""

from __future__ import annotations

from dataclasses import dataclass

from webapp.core.errors import Forbidden, lazy_gettext
from webapp.models import Role

_WRITERS = {Role.OWNER.value, Role.EDITOR.value}


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    workspace_id: int
    role: str
    source: str  # ui | api | cli | system
    ip: str | None = None

    def require_writer(self) -> None:
        """Refuse the action unless the actor's role may change records."""
        if self.role not in _WRITERS:
            raise Forbidden(lazy_gettext("Your role in this workspace is read-only."))
