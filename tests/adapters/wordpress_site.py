"""A real WordPress for adapter tests: the shared peer script starts it; helpers read and clean up through REST."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from .peers import PEERS, peer

SCRIPT = PEERS / "wordpress.sh"
ENV_NAMES = ("WP_URL", "WP_USER", "WP_APP_PASSWORD")


@dataclass
class WordPressSite:
    url: str
    user: str
    app_password: str
    posts: list[int] = field(default_factory=list)
    terms: list[tuple[str, int]] = field(default_factory=list)
    media: list[int] = field(default_factory=list)
    users: list[int] = field(default_factory=list)

    def rest(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call the REST API as the admin and return the decoded JSON, failing the test on an error."""
        response = requests.request(
            method, f"{self.url}/wp-json{path}", auth=(self.user, self.app_password), timeout=30, **kwargs
        )
        assert response.ok, f"{method} {path}: HTTP {response.status_code} {response.text[:300]}"
        return response.json()

    def channel_body(self, url: str | None = None) -> dict[str, Any]:
        """Return the body that adds this WordPress as a Herald channel (at url, a proxy in front of it, if given)."""
        return {
            "name": f"wordpress {uuid.uuid4().hex[:6]}",
            "platform": "wordpress",
            "settings": {"url": url or self.url},
            "credentials": {"username": self.user, "app_password": self.app_password},
        }

    def user_with_role(self, role: str) -> dict[str, str]:
        """Create a user with this role and an Application Password (deleted when the test ends); return its login."""
        name = f"herald-{role}-{uuid.uuid4().hex[:8]}"
        user = self.rest(
            "POST",
            "/wp/v2/users",
            json={"username": name, "email": f"{name}@example.test", "password": uuid.uuid4().hex, "roles": [role]},
        )
        self.users.append(user["id"])
        password = self.rest("POST", f"/wp/v2/users/{user['id']}/application-passwords", json={"name": "herald"})
        return {"username": name, "app_password": password["password"]}

    def track_post(self, post_id: str | int | None) -> None:
        """Delete this post (for good, not to the trash) when the test ends."""
        if post_id is not None:
            self.posts.append(int(post_id))

    def track_term(self, taxonomy: str, term_id: int) -> None:
        """Delete this tag or category when the test ends."""
        self.terms.append((taxonomy, term_id))

    def track_media(self, media_id: str | int | None) -> None:
        """Delete this media library item (and its files) when the test ends."""
        if media_id is not None:
            self.media.append(int(media_id))

    def clean_up(self) -> None:
        for media_id in dict.fromkeys(self.media):
            self.rest("DELETE", f"/wp/v2/media/{media_id}", params={"force": "true"})
        for post_id in dict.fromkeys(self.posts):
            self.rest("DELETE", f"/wp/v2/posts/{post_id}", params={"force": "true"})
        for taxonomy, term_id in dict.fromkeys(self.terms):
            self.rest("DELETE", f"/wp/v2/{taxonomy}/{term_id}", params={"force": "true"})
        me = self.rest("GET", "/wp/v2/users/me")["id"] if self.users else None
        for user_id in dict.fromkeys(self.users):
            self.rest("DELETE", f"/wp/v2/users/{user_id}", params={"force": "true", "reassign": me})
        self.posts.clear()
        self.terms.clear()
        self.media.clear()
        self.users.clear()


@pytest.fixture(scope="session")
def wordpress_session() -> Iterator[WordPressSite]:
    """Yield the WordPress named by WP_URL/WP_USER/WP_APP_PASSWORD, or one the peer script starts."""
    with peer(SCRIPT, ENV_NAMES, "/wp-json/", pytest.fail) as values:
        yield WordPressSite(*values)


@pytest.fixture(name="wordpress")
def wordpress_fixture(wordpress_session: WordPressSite) -> Iterator[WordPressSite]:
    """Yield the session's WordPress and delete the posts and terms the test tracked."""
    yield wordpress_session
    wordpress_session.clean_up()
