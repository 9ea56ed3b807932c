"""Staff sign-in: argon2 password hashes and opaque cookie tokens stored hashed."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import ClassVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from counseling.ports import LoginSessions, StaffDirectory
from counseling.staff import LoginSession, StaffAccount
from signaling.throttle import Throttle

COOKIE_NAME = "dasan_session"


class AuthError(Exception):
    code: ClassVar[str] = "auth_error"
    status: ClassVar[int] = 401


class BadCredentials(AuthError):
    code = "bad_credentials"

    def __init__(self) -> None:
        super().__init__("the username or password is not correct")


class TooManyAttempts(AuthError):
    code = "too_many_attempts"
    status = 429

    def __init__(self, retry_after: float) -> None:
        super().__init__("too many failed sign-ins; wait a few minutes and try again")
        self.retry_after = retry_after


def token_hash(token: str) -> str:
    """What is stored for a cookie token: a database leak gives no usable cookie."""
    return hashlib.sha256(token.encode()).hexdigest()


class Passwords:
    """Argon2id hashing, run off the event loop (it is deliberately slow)."""

    def __init__(self) -> None:
        self._hasher = PasswordHasher()
        # Verifying against this keeps unknown usernames as slow as known ones.
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        def check() -> bool:
            try:
                return self._hasher.verify(password_hash or self._dummy, password)
            except (VerificationError, InvalidHashError):
                return False

        ok = await asyncio.to_thread(check)
        return ok and password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)


class Authenticator:
    """Signs staff in and out and resolves a cookie token to an account."""

    def __init__(
        self,
        staff: StaffDirectory,
        sessions: LoginSessions,
        passwords: Passwords,
        clock: Callable[[], datetime],
        session_ttl: timedelta,
        throttle: Throttle,
    ) -> None:
        self._staff = staff
        self._sessions = sessions
        self._passwords = passwords
        self._clock = clock
        self._ttl = session_ttl
        self._throttle = throttle

    async def login(
        self, username: str, password: str, remote: str
    ) -> tuple[StaffAccount, str]:
        """Check the password and open a session; returns the account and token."""
        now = self._clock()
        key = f"{username.lower()}|{remote}"
        wait = self._throttle.retry_after(key, now)
        if wait > 0:
            raise TooManyAttempts(wait)
        account = await self._staff.by_username(username.lower())
        stored = None if account is None else account.password_hash
        if account is None or not await self._passwords.verify(stored, password):
            self._throttle.failed(key, now)
            raise BadCredentials
        self._throttle.succeeded(key)
        if self._passwords.needs_rehash(account.password_hash):
            new_hash = self._passwords.hash(password)
            await self._staff.set_password_hash(account.id, new_hash)
        token = secrets.token_urlsafe(32)
        await self._sessions.add(
            LoginSession(token_hash(token), account.id, now, now + self._ttl)
        )
        return account, token

    async def account_for(self, token: str | None) -> StaffAccount | None:
        if not token or len(token) > 200:
            return None
        session = await self._sessions.get(token_hash(token))
        if session is None or not session.valid_at(self._clock()):
            return None
        return await self._staff.get(session.staff_id)

    async def logout(self, token: str | None) -> None:
        if token and len(token) <= 200:
            await self._sessions.remove(token_hash(token))
