"""A real Ghost 5.130 for adapter tests: the shared peer script starts it; helpers read and clean up via the Admin API.

Its first start builds an install cache (about 4 minutes on 2 cores): CI starts it in the background
before lint, and the fixture's own `start` waits for that one. When it cannot start (no Node, no npm
registry), the tests that need it are skipped with the script's reason.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from webapp.adapters.ghost import ACCEPT_VERSION, admin_token

from .peers import PEERS, peer

SCRIPT = PEERS / "ghost.sh"
ENV_NAMES = ("GHOST_URL", "GHOST_ADMIN_API_KEY")
REAL = "real"  # the `site` fixture's parameter for a test run against the real Ghost (beside "fake")


def needs_real_ghost(item: pytest.Item) -> bool:
    """Return True for a test that uses the real Ghost: by its fixtures, or by its `site` parameter."""
    callspec = getattr(item, "callspec", None)
    return "ghost_session" in getattr(item, "fixturenames", ()) or (
        callspec is not None and REAL in callspec.params.values()
    )


@dataclass
class GhostSite:
    url: str
    admin_api_key: str
    posts: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    def admin(self, method: str, path: str, *, expect: int | None = None, **kwargs: Any) -> requests.Response:
        """Call the Admin API with a fresh token; with expect, fail the test on any other status."""
        headers = {"Authorization": f"Ghost {admin_token(self.admin_api_key)}", "Accept-Version": ACCEPT_VERSION}
        response = requests.request(method, f"{self.url}/ghost/api/admin/{path}", headers=headers, timeout=30, **kwargs)
        if expect is not None:
            assert response.status_code == expect, f"{method} {path}: HTTP {response.status_code} {response.text[:300]}"
        return response

    def post(self, post_id: str) -> dict[str, Any]:
        """Return the post with its tags and its HTML as Ghost renders it."""
        return self.admin("GET", f"posts/{post_id}/?formats=html&include=tags", expect=200).json()["posts"][0]

    def tag_named(self, name: str) -> dict[str, Any] | None:
        """Return the site's tag with exactly this name, or None."""
        tags = self.admin("GET", "tags/?limit=all", expect=200).json()["tags"]
        return next((t for t in tags if t["name"] == name), None)

    def track_post(self, post_id: str | None) -> None:
        """Delete this post, and the tags it made, when the test ends."""
        if post_id is not None:
            self.posts.append(post_id)
            self.tags += [t["id"] for t in self.post(post_id)["tags"] if t["slug"] != "news"]

    def clean_up(self) -> None:
        for post_id in dict.fromkeys(self.posts):
            self.admin("DELETE", f"posts/{post_id}/")
        for tag_id in dict.fromkeys(self.tags):
            self.admin("DELETE", f"tags/{tag_id}/")
        self.posts.clear()
        self.tags.clear()


@pytest.fixture(scope="session")
def ghost_session() -> Iterator[GhostSite]:
    """Yield the Ghost named by GHOST_URL/GHOST_ADMIN_API_KEY, or one the peer script starts (skipped if it cannot)."""
    with peer(
        SCRIPT, ENV_NAMES, "/ghost/api/admin/site/", lambda reason: pytest.skip(f"no real Ghost: {reason}")
    ) as values:
        yield GhostSite(*values)


@pytest.fixture(name="real_ghost")
def real_ghost_fixture(ghost_session: GhostSite) -> Iterator[GhostSite]:
    """Yield the session's Ghost and delete the posts and tags the test tracked."""
    yield ghost_session
    ghost_session.clean_up()
