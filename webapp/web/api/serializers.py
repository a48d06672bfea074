"""JSON shapes of the API's records (API.md names; credentials never included)."""

from __future__ import annotations

from webapp.core.phrases import shown
from webapp.core.time import format_utc
from webapp.domain.content.variants import overrides_of
from webapp.domain.operations.transfer import schedule_timing
from webapp.models import Attempt, Channel, Content, ContentTemplate, Publication, Schedule


def channel_json(channel: Channel) -> dict:
    return {
        "id": channel.id,
        "name": channel.name,
        "platform": channel.platform,
        "settings": channel.settings,
        "credentials": {"set": bool(channel.credentials_encrypted)},
        "timezone": channel.timezone,
        "rules": channel.rules or {},
        "health": channel.health,
        "health_message": shown(channel, "health_message"),  # in the reader's language, as alerts are
        "last_checked_at": format_utc(channel.last_checked_at),
        "paused_at": format_utc(channel.paused_at),
        "created_at": format_utc(channel.created_at),
    }


def content_json(content: Content) -> dict:
    return {
        "id": content.id,
        "title": content.title,
        "body": content.body,
        "body_format": content.body_format,
        "excerpt": content.excerpt,
        "content_type": content.content_type,
        "tags": content.tags or [],
        "slug": content.slug,
        "status": content.status,
        "variants": overrides_of(content),
        "created_at": format_utc(content.created_at),
        "updated_at": format_utc(content.updated_at),
    }


def template_json(template: ContentTemplate) -> dict:
    return {
        "id": template.id,
        "name": template.name,
        "title": template.title,
        "body": template.body,
        "body_format": template.body_format,
        "excerpt": template.excerpt,
        "content_type": template.content_type,
        "tags": template.tags or [],
        "variants": template.variants or [],
        "channel_ids": template.channel_ids or [],
        "schedule": template.schedule,
        "created_at": format_utc(template.created_at),
        "updated_at": format_utc(template.updated_at),
    }


def attempt_json(attempt: Attempt) -> dict:
    return {
        "number": attempt.number,
        "started_at": format_utc(attempt.started_at),
        "finished_at": format_utc(attempt.finished_at),
        "outcome": attempt.outcome,
        "error_class": attempt.error_class,
        "error_message": shown(attempt, "error_message"),  # Herald's own words translated, a platform's as said
        "http_status": attempt.http_status,
        "response_excerpt": attempt.response_excerpt,
    }


def publication_json(publication: Publication, with_attempts: bool = True) -> dict:
    data = {
        "id": publication.id,
        "schedule_id": publication.schedule_id,
        "channel_id": publication.channel_id,
        "content_id": publication.content_id,
        "status": publication.status,
        "priority": publication.priority,
        "occurrence": publication.occurrence,
        "due_at": format_utc(publication.due_at),
        "enqueued_at": format_utc(publication.enqueued_at),
        "started_at": format_utc(publication.started_at),
        "finished_at": format_utc(publication.finished_at),
        "next_attempt_at": format_utc(publication.next_attempt_at),
        "lateness_ms": publication.lateness_ms,
        "idempotency_key": publication.idempotency_key,
        "external_id": publication.external_id,
        "external_url": publication.external_url,
        "attempts_count": publication.attempts_count,
        # Herald's own sentences in the reader's language (a platform's own words stay as it said them).
        "last_error": shown(publication, "last_error"),
        "hold_reason": shown(publication, "hold_reason"),
        "after_publication_id": publication.after_publication_id,
    }
    if with_attempts:
        data["attempts"] = [attempt_json(a) for a in publication.attempts]
    return data


def schedule_json(schedule: Schedule, publications: list[Publication] | None = None) -> dict:
    data = {
        "id": schedule.id,
        "content_id": schedule.content_id,
        "channel_ids": [c.id for c in schedule.channels],
        "status": schedule.status,
        **schedule_timing(schedule),
        "clash_policy": schedule.clash_policy,
        "next_run_at": format_utc(schedule.next_run_at),
        "created_at": format_utc(schedule.created_at),
        "chain": schedule.chain or [],
    }
    if publications is not None:
        data["publications"] = [publication_json(p, with_attempts=False) for p in publications]
    return data
