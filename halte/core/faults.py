"""Faults of the environment (database connection lost, storage refusing writes) turned into answers.

Django reconnects to the database only between requests. When the connection dies in the middle of
one (the server restarted, a proxy cut it, an operator killed the backend), every later query of that
request fails, including the session save that ends it — which would turn a committed report's
receipt into an error page. ``heal_connection`` drops a connection that has failed so that the next
query opens a new one; ``HealConnectionMiddleware`` does it before the session is saved.
"""

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections

# A lost or refused connection: nothing of the request's transaction was committed by the failing
# statement, and trying again later is the right answer.
CONNECTION_FAULTS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)


def heal_connection(alias: str = DEFAULT_DB_ALIAS, *, check: bool = False) -> None:
    """Close the connection if it no longer answers (never inside a transaction: that one is the
    caller's to end). Asked only after a query failed on it, or always with ``check`` (a connection
    killed right after a COMMIT has not failed a query yet): one ``SELECT 1`` either way."""
    connection = connections[alias]
    if connection.connection is None or connection.in_atomic_block:
        return
    if not (check or connection.errors_occurred):
        return
    if connection.is_usable():
        connection.errors_occurred = False
    else:
        connection.close()


class HealConnectionMiddleware:
    """Placed right after the session middleware, so that it runs before the session is saved."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        heal_connection()
        return response
