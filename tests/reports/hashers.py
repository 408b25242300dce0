"""A real password hasher (PBKDF2, few iterations) that counts how often it runs.

The receipt mailbox must never run the slow hash for a wrong code: tests read these counters.
"""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class CountingHasher(PBKDF2PasswordHasher):
    algorithm = "pbkdf2_counting"
    iterations = 1000
    encodings = 0
    verifications = 0

    def encode(self, password, salt, iterations=None):
        CountingHasher.encodings += 1
        return super().encode(password, salt, iterations)

    def verify(self, password, encoded):
        CountingHasher.verifications += 1
        return super().verify(password, encoded)

    @classmethod
    def reset(cls) -> None:
        cls.encodings = 0
        cls.verifications = 0

    @classmethod
    def runs(cls) -> int:
        return cls.encodings + cls.verifications
