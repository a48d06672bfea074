"""Ada's browsers: what the password change and reset tests share (each ends her other sessions)."""

from __future__ import annotations

PASSWORD, NEW_PASSWORD = "Correct-Horse-42!", "Brand-New-Pass-7"


def signed_in(app, remember: bool = False):
    """Return a new browser signed in as Ada (with a remember-me cookie when asked)."""
    browser = app.test_client()
    data = {"email": "ada@example.test", "password": PASSWORD} | ({"remember": "y"} if remember else {})
    assert browser.post("/signin", data=data).status_code == 303
    assert browser.get("/").status_code == 200
    return browser
