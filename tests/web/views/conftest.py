"""Fixtures shared by the view tests."""

import pytest

from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import Membership, User


@pytest.fixture
def ada(client, auth) -> Actor:
    """Sign Ada up through the form (she stays signed in) and return her as the owner of her workspace."""
    auth.sign_up("ada@example.test")
    user = db.session.query(User).filter_by(email="ada@example.test").one()
    membership = db.session.query(Membership).filter_by(user_id=user.id).one()
    return Actor(user.id, membership.workspace_id, "owner", "ui")
