"""Integrations: outbound webhooks, notifications by email and chat, private calendar feeds."""
