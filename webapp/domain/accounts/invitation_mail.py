"""Hand an invitation's one-time link on: build it, and email it when SMTP is configured.

The email speaks the invitee's language when they already have an account with one, else the inviter's (the
request's): someone new has told Herald nothing yet.
"""

from __future__ import annotations

from contextlib import nullcontext

from flask import render_template
from flask_babel import force_locale, gettext
from sqlalchemy import select

from webapp.extensions import db
from webapp.infra import mail
from webapp.models import Invitation, User


def send_invitation(invitation: Invitation, token: str, inviter: User) -> tuple[str, bool]:
    """Return the invitation's link and whether it was queued for email (the page and the API show it once)."""
    link = mail.external_url("members.accept", token=token)
    invitee = db.session.scalar(select(User).where(User.email == invitation.email))
    with force_locale(invitee.locale) if invitee is not None and invitee.locale else nullcontext():
        body = render_template("members/invitation_email.txt", invitation=invitation, link=link, by=inviter)
        subject = gettext("Join %(workspace)s on Herald", workspace=invitation.workspace.name)
    emailed = mail.send_later(invitation.email, subject, body)
    return link, emailed
