"""The schedule form's live preview: a rule's reading and next runs, and what each channel's rules do to each.

Arguments (all optional but `cron`): `timezone`, `max_runs`, `starts_at` and `ends_at` (read in the
timezone), `channel_ids` (each channel's rules apply, under `clash_policy`, default move) and
`schedule_id` (an edited schedule: its skipped and moved occurrences show, and its own runs never
clash with themselves).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask_login import current_user

from webapp.core.errors import NotFound
from webapp.core.time import TimeInputError, validate_cron, validate_timezone
from webapp.core.time import preview as schedule_preview
from webapp.domain.publishing import occurrence_list, schedules
from webapp.web.auth import ui_actor
from webapp.web.htmx import render
from webapp.web.i18n import locale_code

WINDOW = ("starts_at", "ends_at")


def _ids(values) -> list[int]:
    return [int(v) for v in values if v.isascii() and v.isdigit() and len(v) < 10]


def _schedule_id(raw: str | None) -> int | None:
    """An edited schedule's id, when it is one of the workspace's (another's is ignored, as unknown)."""
    if not raw or not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        return None
    try:
        return schedules.get_schedule(ui_actor(), int(raw)).id
    except NotFound:
        return None


def render_preview(args):
    """Render templates/schedules/_preview.html for the request's arguments."""
    cron = (args.get("cron") or "").strip()
    tz_name = (args.get("timezone") or current_user.timezone).strip()
    max_runs = args.get("max_runs", type=int)
    max_runs = max_runs if max_runs and max_runs > 0 else None
    policy = args.get("clash_policy") if args.get("clash_policy") in schedules.CLASH_POLICIES else "move"
    result, runs, problem = None, [], None
    if cron:
        try:
            rule, zone = validate_cron(cron), validate_timezone(tz_name).key
            errors: dict[str, str] = {}
            window = {name: schedules.instant_field(args.get(name), zone, name, errors) for name in WINDOW}
            if errors:
                raise TimeInputError(*next(iter(errors.items())))
            result = schedule_preview(rule, zone, max_runs=max_runs, locale=locale_code(), **window)
            runs = occurrence_list.preview(
                ui_actor(),
                rule,
                zone,
                max_runs=max_runs,
                channel_ids=_ids(args.getlist("channel_ids")),
                schedule_id=_schedule_id(args.get("schedule_id")),
                clash_policy=policy,
                **window,
            )
        except TimeInputError as exc:
            problem = f"{exc.field} {exc.message}"
    zone = ZoneInfo(result["timezone"]) if result else None
    context = {"preview": result, "preview_runs": runs, "preview_zone": zone, "preview_error": problem}
    return render("schedules/_preview.html", **context)
