import pytest

from .smtp import SilentServer, SmtpServer


@pytest.fixture
def queued(settings):
    """The production mode: jobs wait in the queue for a worker, retried at once in tests."""
    settings.HALTE_JOBS = {**settings.HALTE_JOBS, "IMMEDIATE": False, "MAX_ATTEMPTS": 3, "BACKOFF": [0]}


def use_smtp(settings, port: int, timeout: int = 1) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, timeout
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    yield server
    server.close()


@pytest.fixture
def silent_server():
    server = SilentServer()
    yield server
    server.close()
