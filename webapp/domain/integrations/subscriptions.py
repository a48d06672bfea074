"""Outbound webhook subscriptions: which URL hears which events, with a signing secret kept encrypted."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from webapp.adapters.webhook import WebhookAdapter
from webapp.core.errors import Forbidden, ValidationFailed, lazy_gettext
from webapp.core.phrases import said
from webapp.domain.shared import audit
from webapp.domain.shared.actor import Actor
from webapp.domain.shared.scoped import get_in_workspace
from webapp.extensions import db
from webapp.infra.crypto import decrypt_credentials, encrypt_credentials
from webapp.models import Role, WebhookDelivery, WebhookSubscription

EVENTS = (
    "publication.published",
    "publication.failed",
    "publication.needs_intervention",
    "schedule.missed",
    "channel.unhealthy",
)
MAX_PER_WORKSPACE = 20
MAX_URL_LENGTH = 2000


def url_problem(url) -> str | None:
    """Say what is wrong with a receiver URL, or None; only http(s) URLs are ever posted to."""
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH:
        return lazy_gettext("must be an http(s) URL")
    # The webhook channel's own check: the same rules for every URL Herald posts to (an outbound target too).
    return said(WebhookAdapter.validate_config({"url": url}, {"secret": "-"}).get("settings.url"))


def _validate(url, events) -> dict[str, str]:
    errors: dict[str, str] = {}
    if problem := url_problem(url):
        errors["url"] = problem
    if not isinstance(events, list) or not events or not all(e in EVENTS for e in events):
        errors["events"] = lazy_gettext("choose one or more of %(events)s", events=", ".join(EVENTS))
    return errors


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def create_subscription(actor: Actor, url, events, active: bool = True) -> tuple[WebhookSubscription, str]:
    """Store a subscription with a fresh signing secret; commit and return it with the secret."""
    actor.require_writer()
    errors = _validate(url, events)
    count = db.session.query(WebhookSubscription).filter_by(workspace_id=actor.workspace_id).count()
    if count >= MAX_PER_WORKSPACE:
        errors["url"] = lazy_gettext(
            "a workspace may have at most %(max_per_workspace)s subscriptions", max_per_workspace=MAX_PER_WORKSPACE
        )
    if errors:
        raise ValidationFailed(errors)
    secret = new_secret()
    subscription = WebhookSubscription(
        workspace_id=actor.workspace_id,
        url=url,
        events=[e for e in EVENTS if e in events],
        secret_encrypted=encrypt_credentials({"secret": secret}),
        active=bool(active),
        created_by_id=actor.user_id,
    )
    db.session.add(subscription)
    db.session.flush()
    audit.record(actor, "subscription.created", "subscription", subscription.id, url=url)
    db.session.commit()
    return subscription, secret


def get_subscription(actor: Actor, subscription_id: int) -> WebhookSubscription:
    """Return a subscription of the actor's workspace, or raise NotFound."""
    return get_in_workspace(actor, WebhookSubscription, subscription_id, "subscription")


def subscription_query(actor: Actor):
    """Select the actor's workspace's subscriptions, oldest first."""
    query = select(WebhookSubscription).where(WebhookSubscription.workspace_id == actor.workspace_id)
    return query.order_by(WebhookSubscription.id)


def list_subscriptions(actor: Actor) -> list[WebhookSubscription]:
    return list(db.session.scalars(subscription_query(actor)))


def update_subscription(actor: Actor, subscription_id: int, *, url, events, active: bool) -> WebhookSubscription:
    """Change a subscription's URL, events and whether it is active; commit."""
    actor.require_writer()
    subscription = get_subscription(actor, subscription_id)
    if errors := _validate(url, events):
        raise ValidationFailed(errors)
    subscription.url, subscription.active = url, bool(active)
    subscription.events = [e for e in EVENTS if e in events]
    audit.record(actor, "subscription.updated", "subscription", subscription.id, active=subscription.active)
    db.session.commit()
    return subscription


def delete_subscription(actor: Actor, subscription_id: int) -> None:
    """Delete a subscription and its delivery log; commit."""
    actor.require_writer()
    subscription = get_subscription(actor, subscription_id)
    audit.record(actor, "subscription.deleted", "subscription", subscription.id, url=subscription.url)
    db.session.delete(subscription)
    db.session.commit()


def reveal_secret(actor: Actor, subscription_id: int) -> str:
    """Return the signing secret: owners only, and the reveal is audited."""
    if actor.role != Role.OWNER.value:
        raise Forbidden(lazy_gettext("Only an owner of the workspace can reveal a signing secret."))
    subscription = get_subscription(actor, subscription_id)
    audit.record(actor, "subscription.secret_revealed", "subscription", subscription.id)
    db.session.commit()
    return secret_of(subscription)


def secret_of(subscription: WebhookSubscription) -> str:
    return decrypt_credentials(subscription.secret_encrypted)["secret"]


def delivery_query(actor: Actor, subscription_id: int):
    """Select a subscription's deliveries, newest first (NotFound for another workspace's subscription)."""
    subscription = get_subscription(actor, subscription_id)
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id)
    return query.order_by(WebhookDelivery.id.desc())


def deliveries_of(actor: Actor, subscription_id: int, limit: int = 100) -> list[WebhookDelivery]:
    """Return the subscription's latest deliveries, newest first."""
    return list(db.session.scalars(delivery_query(actor, subscription_id).limit(limit)))
