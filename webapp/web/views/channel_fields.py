"""The settings and credentials each platform's channel form asks for (labels and hints in the request's language)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext


@dataclass(frozen=True)
class PlatformField:
    group: str  # "settings" or "credentials"
    key: str
    label: str
    kind: str = "text"  # input type; credentials are always password inputs
    placeholder: str = ""
    hint: str = ""
    required: bool = True
    is_list: bool = False  # comma-separated in the form, a list in the record
    new_label: str = ""  # a credential's label on the edit form, where a value replaces the stored one

    @property
    def name(self) -> str:
        return f"{self.group}.{self.key}"


def _setting(key, label, **kw) -> PlatformField:
    return PlatformField("settings", key, label, **kw)


def _secret(key, label, new_label, **kw) -> PlatformField:
    return PlatformField("credentials", key, label, kind="password", new_label=new_label, **kw)


PLATFORM_FIELDS: dict[str, tuple[PlatformField, ...]] = {
    "webhook": (
        _setting("url", lazy_gettext("Webhook URL"), kind="url", placeholder="https://example.com/hooks/herald"),
        _secret(
            "secret",
            lazy_gettext("Signing secret"),
            lazy_gettext("New signing secret"),
            hint=lazy_gettext("Herald signs each request with HMAC-SHA256 of timestamp.body."),
        ),
    ),
    "wordpress": (
        _setting("url", lazy_gettext("Site URL"), kind="url", placeholder="https://blog.example.com"),
        _setting(
            "categories",
            lazy_gettext("Categories"),
            hint=lazy_gettext("Comma-separated names; created when missing."),
            required=False,
            is_list=True,
        ),
        PlatformField(
            "credentials",
            "username",
            lazy_gettext("WordPress username"),
            new_label=lazy_gettext("New WordPress username"),
        ),
        _secret(
            "app_password",
            lazy_gettext("Application Password"),
            lazy_gettext("New Application Password"),
            hint=lazy_gettext("Users → Profile → Application Passwords."),
        ),
    ),
    "ghost": (
        _setting("url", lazy_gettext("Ghost site URL"), kind="url", placeholder="https://example.ghost.io"),
        _secret(
            "admin_api_key",
            lazy_gettext("Admin API key"),
            lazy_gettext("New Admin API key"),
            hint=lazy_gettext("A custom integration's key, id:secret."),
        ),
    ),
    "shopify": (
        _setting("shop_domain", lazy_gettext("Shop domain"), placeholder=lazy_gettext("your-store.myshopify.com")),
        _setting("blog_id", lazy_gettext("Blog id"), placeholder=lazy_gettext("123 or gid://shopify/Blog/123")),
        _setting("author", lazy_gettext("Author name"), required=False, placeholder="Herald"),
        _secret("access_token", lazy_gettext("Admin API access token"), lazy_gettext("New Admin API access token")),
    ),
    "mastodon": (
        _setting("url", lazy_gettext("Instance URL"), kind="url", placeholder="https://mastodon.social"),
        _setting(
            "visibility",
            lazy_gettext("Visibility"),
            required=False,
            placeholder=lazy_gettext("public, unlisted, private or direct"),
        ),
        _secret(
            "access_token",
            lazy_gettext("Access token"),
            lazy_gettext("New access token"),
            hint=lazy_gettext("Needs the write:statuses scope."),
        ),
    ),
}


def read(platform: str, form) -> tuple[dict, dict]:
    """Collect (settings, credentials) for a platform from submitted form data; blanks are omitted."""
    settings: dict = {}
    credentials: dict = {}
    for field in PLATFORM_FIELDS.get(platform, ()):
        raw = (form.get(field.name) or "").strip()
        if not raw:
            continue
        value = [v.strip() for v in raw.split(",") if v.strip()] if field.is_list else raw
        (settings if field.group == "settings" else credentials)[field.key] = value
    return settings, credentials


def setting_values(platform: str, settings: dict) -> dict:
    """The edit form's settings inputs filled from a channel's stored settings (lists comma-separated)."""
    values = {}
    for field in PLATFORM_FIELDS.get(platform, ()):
        value = settings.get(field.key) if field.group == "settings" else None
        if value not in (None, "", []):
            values[field.name] = ", ".join(value) if isinstance(value, list) else str(value)
    return values


def edited_settings(platform: str, stored: dict, submitted: dict) -> dict:
    """The settings after an edit: the form's fields as submitted (blank clears), others (API-only ones) kept."""
    shown = {f.key for f in PLATFORM_FIELDS.get(platform, ()) if f.group == "settings"}
    return {**{k: v for k, v in (stored or {}).items() if k not in shown}, **submitted}
