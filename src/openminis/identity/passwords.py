"""Password hashes: argon2id at the cost the settings give (MINIS_PASSWORD_*).

The default is OWASP's recommendation for argon2id (19 MiB, 2 passes, 1 lane); only the tests set
a cheaper one. A hash carries the parameters it was made with, so hashes made at another cost
still verify, and a person's is made again at the current cost when they next sign in.
"""

from __future__ import annotations

import secrets
from functools import cached_property

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from openminis.settings import Settings


class Passwords:
    def __init__(self, *, time_cost: int, memory_kib: int, parallelism: int):
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Passwords:
        return cls(
            time_cost=settings.password_time_cost,
            memory_kib=settings.password_memory_kib,
            parallelism=settings.password_parallelism,
        )

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether ``password`` is the one ``password_hash`` was made from. Without a hash (an
        unknown email) a stand-in is verified, so that a wrong email costs as long as a wrong
        password."""
        try:
            return self._hasher.verify(password_hash or self._stand_in, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether the hash was made at another cost than the current one."""
        return self._hasher.check_needs_rehash(password_hash)

    @cached_property
    def _stand_in(self) -> str:
        return self._hasher.hash(secrets.token_hex(16))
