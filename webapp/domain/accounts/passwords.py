"""Password hashes: argon2id for every new hash, older Werkzeug scrypt hashes upgraded at the next sign-in.

The parameters are OWASP's (Password Storage Cheat Sheet, argon2id: 46 MiB of memory, one pass, one
lane; about 50 ms here). A sign-in for an email that has no account still verifies a password against
a real hash, so an unknown email costs the same time as a wrong password and timing tells nothing.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from werkzeug.security import check_password_hash

_hasher = PasswordHasher(time_cost=1, memory_cost=47104, parallelism=1)


def hash_password(password: str) -> str:
    """Return an argon2id hash of the password (salted; the parameters are in the string)."""
    return _hasher.hash(password)


def verify(stored: str, password: str) -> tuple[bool, str | None]:
    """Check a password against a stored hash: (matches, a replacement hash when the stored one is outdated)."""
    if stored.startswith("$argon2"):
        try:
            _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False, None
        return True, (hash_password(password) if _hasher.check_needs_rehash(stored) else None)
    # A hash from before argon2 (Werkzeug's scrypt or pbkdf2): right once, then replaced.
    if check_password_hash(stored, password):
        return True, hash_password(password)
    return False, None


@cache
def _decoy(time_cost: int, memory_cost: int, parallelism: int) -> str:
    return hash_password("no account has this password; it only costs the time a real check costs")


def spend_a_check(password: str) -> None:
    """Verify against a decoy hash: what an unknown email costs, the same as a wrong password."""
    # Made with the hasher's current parameters, so it costs exactly what a real user's check costs.
    verify(_decoy(_hasher.time_cost, _hasher.memory_cost, _hasher.parallelism), password)
