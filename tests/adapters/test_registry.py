import pytest

from webapp.adapters import ADAPTERS, PLATFORMS, UnknownPlatform, adapter_class, get_adapter
from webapp.adapters.webhook import WebhookAdapter


def test_webhook_platform_builds_a_configured_webhook_adapter():
    adapter = get_adapter("webhook", {"url": "https://example.org/h"}, {"secret": "s"}, timeout=2.5)

    assert isinstance(adapter, WebhookAdapter)
    assert (adapter.settings, adapter.timeout) == ({"url": "https://example.org/h"}, 2.5)


def test_unknown_platform_raises_unknown_platform():
    with pytest.raises(UnknownPlatform, match="unknown platform 'myspace'"):
        get_adapter("myspace", {}, {})


def test_unknown_platform_is_a_value_error_not_a_key_error():
    with pytest.raises(ValueError):
        adapter_class("myspace")


def test_every_registered_adapter_is_keyed_by_its_platform():
    assert all(cls.platform == name for name, cls in ADAPTERS.items())
    assert tuple(ADAPTERS) == PLATFORMS
