"""Start the test provider: migrate its own database, register Halte as a client and the agents
given as JSON on stdin, then serve on a free port, printed as the first line of stdout."""

import json
import os
import sys
from wsgiref.simple_server import WSGIRequestHandler, make_server


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


def main() -> None:
    config = json.loads(sys.stdin.readline())
    server = make_server("127.0.0.1", 0, lambda environ, start: application(environ, start), handler_class=QuietHandler)
    port = server.server_address[1]
    os.environ["OIDC_PROVIDER_ISSUER"] = f"http://127.0.0.1:{port}/o"
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_provider.settings"

    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from oauth2_provider.models import get_application_model

    call_command("migrate", verbosity=0)
    Application = get_application_model()
    Application.objects.create(
        name="Halte",
        client_id=config["client_id"],
        client_secret=config["client_secret"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=config["redirect_uri"],
        post_logout_redirect_uris=config["post_logout_redirect_uri"],
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    for agent in config["agents"]:
        user = User.objects.create_user(
            agent["username"], agent["email"], agent["password"], first_name="Agent", last_name="Public"
        )
        for name in agent.get("groups", []):
            user.groups.add(Group.objects.get_or_create(name=name)[0])
    application = get_wsgi_application()
    print(port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
