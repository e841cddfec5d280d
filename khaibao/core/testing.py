"""Helpers the test suite configures by dotted path (never used by a running site)."""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2 with toy costs: same algorithm and hash format, ~1 ms instead of ~0.5 s.

    Building the demo world hashes seven staff passwords and the lockout tests make dozens of
    attempts; with production costs that alone would take tens of seconds.
    """

    time_cost = 1
    memory_cost = 64
    parallelism = 1
