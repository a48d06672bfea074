"""Hand an invitation's one-time link on: build it, and email it when SMTP is configured."""

from __future__ import annotations

from flask import render_template

from webapp.infra import mail
from webapp.models import Invitation, User


def send_invitation(invitation: Invitation, token: str, inviter: User) -> tuple[str, bool]:
    """Return the invitation's link and whether it was queued for email (the page and the API show it once)."""
    link = mail.external_url("members.accept", token=token)
    body = render_template("members/invitation_email.txt", invitation=invitation, link=link, by=inviter)
    emailed = mail.send_later(invitation.email, f"Join {invitation.workspace.name} on Herald", body)
    return link, emailed
