"""WTForms for the browser pages: CSRF and field rendering; the services do the validating."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.core.errors import ValidationFailed
from webapp.models import CONTENT_TYPES, Priority
from webapp.web.i18n import TERMS, weekday_names


class SignUpForm(FlaskForm):
    email = EmailField(lazy_gettext("Email"), validators=[InputRequired()])
    password = PasswordField(lazy_gettext("Password"), validators=[InputRequired()])
    timezone = StringField(lazy_gettext("Timezone"), default="UTC", validators=[InputRequired()])


class SignInForm(FlaskForm):
    email = EmailField(lazy_gettext("Email"), validators=[InputRequired()])
    password = PasswordField(lazy_gettext("Password"), validators=[InputRequired()])
    remember = BooleanField(lazy_gettext("Keep me signed in on this device"))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ChannelForm(FlaskForm):
    name = StringField(lazy_gettext("Name"))
    platform = SelectField(
        lazy_gettext("Platform"),
        choices=[
            SelectChoice(p, label)
            for p, label in (
                ("webhook", lazy_gettext("signed webhook")),
                ("wordpress", "WordPress"),
                ("ghost", "Ghost"),
                ("shopify", lazy_gettext("Shopify blog")),
                ("mastodon", "Mastodon"),
            )
        ],
        default="webhook",
    )
    timezone = StringField(lazy_gettext("Timezone"), default="UTC")
    weekdays = MultiCheckboxField(
        lazy_gettext("Allowed weekdays"),
        # Each day's short name in the request's language (Babel's), read when the form is drawn.
        choices=[
            SelectChoice(d, LazyString(lambda i=i: weekday_names()[i]))
            for i, d in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
        ],
    )
    time_slots = StringField(lazy_gettext("Time slots (HH:MM, comma-separated)"))
    min_spacing_minutes = IntegerField(lazy_gettext("Minimum spacing (minutes)"), validators=[Optional()])
    daily_limit = IntegerField(lazy_gettext("Daily limit"), validators=[Optional()])
    weekly_limit = IntegerField(lazy_gettext("Weekly limit"), validators=[Optional()])
    monthly_limit = IntegerField(lazy_gettext("Monthly limit"), validators=[Optional()])
    rate_per_minute = IntegerField(lazy_gettext("Rate limit (posts per minute)"), validators=[Optional()])
    max_in_flight = IntegerField(lazy_gettext("In flight at once"), validators=[Optional()])

    def rules(self) -> dict:
        """Collect the publishing rules the form sets (empty fields set none)."""
        values = {
            "weekdays": self.weekdays.data or None,
            "time_slots": [s.strip() for s in (self.time_slots.data or "").split(",") if s.strip()] or None,
            "min_spacing_minutes": self.min_spacing_minutes.data,
            "daily_limit": self.daily_limit.data,
            "weekly_limit": self.weekly_limit.data,
            "monthly_limit": self.monthly_limit.data,
            "rate_per_minute": self.rate_per_minute.data,
            "max_in_flight": self.max_in_flight.data,
        }
        return {k: v for k, v in values.items() if v is not None}


# How a body is written; each platform gets it as HTML or as text (docs/platforms.md).
BODY_FORMAT_CHOICES = [SelectChoice("markdown", "Markdown"), SelectChoice("html", "HTML")]


class ContentTextForm(FlaskForm):
    """A content item's text, as both the new-content form and the editor's base version ask for it."""

    title = StringField(lazy_gettext("Title"))
    body = TextAreaField(lazy_gettext("Body"))
    excerpt = TextAreaField(lazy_gettext("Excerpt"))
    content_type = SelectField(lazy_gettext("Content type"), choices=[SelectChoice(c, TERMS[c]) for c in CONTENT_TYPES])
    tags = StringField(lazy_gettext("Tags (comma-separated)"))
    slug = StringField(lazy_gettext("Slug"))
    body_format = SelectField(lazy_gettext("Body format"), choices=BODY_FORMAT_CHOICES, default="markdown")


class ContentForm(ContentTextForm):
    status = SelectField(
        lazy_gettext("Status"), choices=[SelectChoice(s, TERMS[s]) for s in ("draft", "review", "approved", "archived")]
    )


def _optional_id(value) -> int | None:
    return int(value) if value not in (None, "", "None") and str(value).isdigit() else None


class ScheduleForm(FlaskForm):
    content_id = SelectField(lazy_gettext("Content"), coerce=int, validate_choice=False)
    channel_ids = MultiCheckboxField(lazy_gettext("Channels"), coerce=int, validate_choice=False)
    kind = RadioField(
        lazy_gettext("Repeat"),
        choices=[
            SelectChoice("once", lazy_gettext("one time")),
            SelectChoice("recurring", lazy_gettext("recurring (cron)")),
        ],
        default="once",
    )
    cron = StringField(lazy_gettext("Cron rule"))
    max_runs = IntegerField(lazy_gettext("Stop after (runs)"), validators=[Optional()])
    starts_at = DateTimeLocalField(
        lazy_gettext("Starts"), format=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"], validators=[Optional()]
    )
    ends_at = DateTimeLocalField(
        lazy_gettext("Ends"), format=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"], validators=[Optional()]
    )
    clash_policy = SelectField(
        lazy_gettext("If a run breaks a channel's rules"),
        choices=[
            SelectChoice("move", lazy_gettext("move it to the channel's next free slot")),
            SelectChoice("skip", lazy_gettext("skip it on that channel, with an alert")),
            SelectChoice("publish", lazy_gettext("publish anyway, at its time")),
        ],
        default="move",
    )
    missed_policy = SelectField(
        lazy_gettext("If missed"),
        choices=[
            SelectChoice("run_late", lazy_gettext("run late, however late")),
            SelectChoice("skip", lazy_gettext("skip if later than the grace")),
        ],
        default="run_late",
    )
    grace_minutes = IntegerField(lazy_gettext("Grace (minutes)"), default=60, validators=[Optional()])
    allow_conflicts = BooleanField(lazy_gettext("Schedule anyway, ignoring the channels' rules"))
    run_at = DateTimeLocalField(
        lazy_gettext("Publish at"), format=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"], validators=[Optional()]
    )
    timezone = StringField(lazy_gettext("Timezone"))
    priority = SelectField(
        lazy_gettext("Priority"), choices=[SelectChoice(p.value, TERMS[p.value]) for p in Priority], default="normal"
    )
    # One chain link (the API takes several): the publication on this channel waits for the other one's.
    chain_channel_id = SelectField(lazy_gettext("Then publish on"), coerce=_optional_id, validate_choice=False)
    chain_after_channel_id = SelectField(
        lazy_gettext("once this channel has published"), coerce=_optional_id, validate_choice=False
    )


class NotificationsForm(FlaskForm):
    email_enabled = BooleanField(lazy_gettext("Email me"))
    slack_url = StringField(lazy_gettext("Slack-compatible webhook URL"))
    remove_slack = BooleanField(lazy_gettext("Remove the stored webhook URL"))
    kinds = MultiCheckboxField(lazy_gettext("Tell me about"), validate_choice=False)
    quiet_start = StringField(lazy_gettext("Quiet hours from"))
    quiet_end = StringField(lazy_gettext("Quiet hours until"))
    digest_hour = SelectField(
        lazy_gettext("Daily digest at"), coerce=int, choices=[SelectChoice(h, f"{h:02d}:00") for h in range(24)]
    )


class ProfileForm(FlaskForm):
    timezone = StringField(lazy_gettext("Your timezone"), validators=[InputRequired()])


class LanguageForm(FlaskForm):
    # Labels and choices are read per request (lazy_gettext): the page speaks the language being chosen.
    locale = SelectField(lazy_gettext("Language"), validate_choice=False)


class ApiKeyForm(FlaskForm):
    name = StringField(lazy_gettext("Key name"), validators=[InputRequired()])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(lazy_gettext("Current password"), validators=[InputRequired()])
    new_password = PasswordField(lazy_gettext("New password"), validators=[InputRequired()])
    confirmation = PasswordField(lazy_gettext("Confirm new password"), validators=[InputRequired()])


class ForgotPasswordForm(FlaskForm):
    email = EmailField(lazy_gettext("Email"), validators=[InputRequired()])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(lazy_gettext("New password"), validators=[InputRequired()])


class WorkspaceForm(FlaskForm):
    name = StringField(lazy_gettext("Workspace name"), validators=[InputRequired()])


ROLE_CHOICES = [
    SelectChoice("viewer", lazy_gettext("viewer — reads everything, changes nothing")),
    SelectChoice("editor", lazy_gettext("editor — writes, schedules and publishes")),
    SelectChoice("owner", lazy_gettext("owner — also manages the workspace and its members")),
]


class InviteForm(FlaskForm):
    email = EmailField(lazy_gettext("Email to invite"), validators=[InputRequired()])
    role = SelectField(lazy_gettext("Role"), choices=ROLE_CHOICES, default="editor")


class RoleForm(FlaskForm):
    role = SelectField(lazy_gettext("Role"), choices=ROLE_CHOICES)


class JoinForm(FlaskForm):
    """Create the invited account: the email is the invitation's, so only a password and a zone."""

    password = PasswordField(lazy_gettext("Choose a password"), validators=[InputRequired()])
    timezone = StringField(lazy_gettext("Timezone"), default="UTC", validators=[InputRequired()])


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that change state."""


class MarkPublishedForm(FlaskForm):
    """The address of a post a person found on the platform, for an unconfirmed publication."""

    url = StringField(lazy_gettext("Address of the post"), validators=[Optional()])


class ReviewForm(FlaskForm):
    """A review decision's comment (required to reject; the service says so)."""

    comment = TextAreaField(lazy_gettext("Comment"))


def attach_errors(form: FlaskForm, error: ValidationFailed, aliases: dict[str, str] | None = None) -> None:
    """Show a service's field errors beside the matching form fields (or on the form as a whole)."""
    aliases = aliases or {}
    for key, message in error.fields.items():
        name = aliases.get(key, key)
        if key.startswith(("settings.", "credentials.")):
            continue  # shown beside the platform's own inputs, which are not WTForms fields
        field = getattr(form, name, None)
        if field is None and key.startswith("rules."):
            field = getattr(form, key.removeprefix("rules."), None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors), message]
        else:
            form.form_errors.append(f"{key} {message}")
