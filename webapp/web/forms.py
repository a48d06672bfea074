"""WTForms for the browser pages: CSRF and field rendering; the services do the validating."""

from __future__ import annotations

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


class SignUpForm(FlaskForm):
    email = EmailField("Email", validators=[InputRequired()])
    password = PasswordField("Password", validators=[InputRequired()])
    timezone = StringField("Timezone", default="UTC", validators=[InputRequired()])


class SignInForm(FlaskForm):
    email = EmailField("Email", validators=[InputRequired()])
    password = PasswordField("Password", validators=[InputRequired()])
    remember = BooleanField("Keep me signed in on this device")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ChannelForm(FlaskForm):
    name = StringField("Name")
    platform = SelectField(
        "Platform",
        choices=[
            SelectChoice(p, label)
            for p, label in (
                ("webhook", "signed webhook"),
                ("wordpress", "WordPress"),
                ("ghost", "Ghost"),
                ("shopify", "Shopify blog"),
                ("mastodon", "Mastodon"),
            )
        ],
        default="webhook",
    )
    timezone = StringField("Timezone", default="UTC")
    weekdays = MultiCheckboxField(
        "Allowed weekdays", choices=[SelectChoice(d) for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")]
    )
    time_slots = StringField("Time slots (HH:MM, comma-separated)")
    min_spacing_minutes = IntegerField("Minimum spacing (minutes)", validators=[Optional()])
    daily_limit = IntegerField("Daily limit", validators=[Optional()])
    weekly_limit = IntegerField("Weekly limit", validators=[Optional()])
    monthly_limit = IntegerField("Monthly limit", validators=[Optional()])
    rate_per_minute = IntegerField("Rate limit (posts per minute)", validators=[Optional()])

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
        }
        return {k: v for k, v in values.items() if v is not None}


class ContentForm(FlaskForm):
    title = StringField("Title")
    body = TextAreaField("Body")
    excerpt = TextAreaField("Excerpt")
    content_type = SelectField("Content type", choices=[SelectChoice(c, c.replace("_", " ")) for c in CONTENT_TYPES])
    tags = StringField("Tags (comma-separated)")
    slug = StringField("Slug")
    status = SelectField("Status", choices=[SelectChoice(s) for s in ("draft", "review", "approved", "archived")])


def _optional_id(value) -> int | None:
    return int(value) if value not in (None, "", "None") and str(value).isdigit() else None


class ScheduleForm(FlaskForm):
    content_id = SelectField("Content", coerce=int, validate_choice=False)
    channel_ids = MultiCheckboxField("Channels", coerce=int, validate_choice=False)
    kind = RadioField(
        "Repeat",
        choices=[SelectChoice("once", "one time"), SelectChoice("recurring", "recurring (cron)")],
        default="once",
    )
    cron = StringField("Cron rule")
    max_runs = IntegerField("Stop after (runs)", validators=[Optional()])
    starts_at = DateTimeLocalField("Starts", format=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"], validators=[Optional()])
    ends_at = DateTimeLocalField("Ends", format=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"], validators=[Optional()])
    clash_policy = SelectField(
        "If a run breaks a channel's rules",
        choices=[
            SelectChoice("move", "move it to the channel's next free slot"),
            SelectChoice("skip", "skip it on that channel, with an alert"),
            SelectChoice("publish", "publish anyway, at its time"),
        ],
        default="move",
    )
    missed_policy = SelectField(
        "If missed",
        choices=[
            SelectChoice("run_late", "run late, however late"),
            SelectChoice("skip", "skip if later than the grace"),
        ],
        default="run_late",
    )
    grace_minutes = IntegerField("Grace (minutes)", default=60, validators=[Optional()])
    allow_conflicts = BooleanField("Schedule anyway, ignoring the channels' rules")
    run_at = DateTimeLocalField("Publish at", format=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"], validators=[Optional()])
    timezone = StringField("Timezone")
    priority = SelectField("Priority", choices=[SelectChoice(p.value) for p in Priority], default="normal")
    # One chain link (the API takes several): the publication on this channel waits for the other one's.
    chain_channel_id = SelectField("Then publish on", coerce=_optional_id, validate_choice=False)
    chain_after_channel_id = SelectField("once this channel has published", coerce=_optional_id, validate_choice=False)


class NotificationsForm(FlaskForm):
    email_enabled = BooleanField("Email me")
    slack_url = StringField("Slack-compatible webhook URL")
    remove_slack = BooleanField("Remove the stored webhook URL")
    kinds = MultiCheckboxField("Tell me about", validate_choice=False)
    quiet_start = StringField("Quiet hours from")
    quiet_end = StringField("Quiet hours until")
    digest_hour = SelectField(
        "Daily digest at", coerce=int, choices=[SelectChoice(h, f"{h:02d}:00") for h in range(24)]
    )


class ProfileForm(FlaskForm):
    timezone = StringField("Your timezone", validators=[InputRequired()])


class ApiKeyForm(FlaskForm):
    name = StringField("Key name", validators=[InputRequired()])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[InputRequired()])
    new_password = PasswordField("New password", validators=[InputRequired()])
    confirmation = PasswordField("Confirm new password", validators=[InputRequired()])


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[InputRequired()])


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[InputRequired()])


class WorkspaceForm(FlaskForm):
    name = StringField("Workspace name", validators=[InputRequired()])


ROLE_CHOICES = [
    SelectChoice("viewer", "viewer — reads everything, changes nothing"),
    SelectChoice("editor", "editor — writes, schedules and publishes"),
    SelectChoice("owner", "owner — also manages the workspace and its members"),
]


class InviteForm(FlaskForm):
    email = EmailField("Email to invite", validators=[InputRequired()])
    role = SelectField("Role", choices=ROLE_CHOICES, default="editor")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)


class JoinForm(FlaskForm):
    """Create the invited account: the email is the invitation's, so only a password and a zone."""

    password = PasswordField("Choose a password", validators=[InputRequired()])
    timezone = StringField("Timezone", default="UTC", validators=[InputRequired()])


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that change state."""


class MarkPublishedForm(FlaskForm):
    """The address of a post a person found on the platform, for an unconfirmed publication."""

    url = StringField("Address of the post", validators=[Optional()])


class ReviewForm(FlaskForm):
    """A review decision's comment (required to reject; the service says so)."""

    comment = TextAreaField("Comment")


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
