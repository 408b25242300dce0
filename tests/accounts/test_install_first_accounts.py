"""The first two accounts of a new installation, given at the console: two people, once."""

import re
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from halte.accounts.models import Membership, Role, User
from halte.audit.models import Action, AuditEvent

pytestmark = pytest.mark.django_db


def install(**options) -> str:
    out = StringIO()
    arguments = {
        "organisation": "DSDEN de la Somme",
        "admin": "admin@ac-amiens.fr",
        "coordinator": "coord@ac-amiens.fr",
    }
    call_command("install_first_accounts", stdout=out, **{**arguments, **options})
    return out.getvalue()


def test_a_new_installation_gets_an_administrator_and_a_coordinator_who_choose_their_password():
    output = install(admin_name="Alice Martin", coordinator_name="Claire Dubois")
    admin = Membership.objects.get(role=Role.ADMIN)
    coordinator = Membership.objects.get(role=Role.COORDINATOR)
    assert admin.organisation == coordinator.organisation and admin.user != coordinator.user
    assert admin.user.get_full_name() == "Alice Martin"
    assert not admin.user.has_usable_password()
    assert AuditEvent.objects.filter(action=Action.ACCOUNTS_INSTALLED).count() == 2
    links = re.findall(r"https?://\S+/mot-de-passe/\S+/\S+/", output)
    assert len(links) == 2
    # The link works: the coordinator chooses a password.
    browser = Client()
    form = browser.get(urlsplit(links[1]).path, follow=True)
    assert form.status_code == 200
    password = "Une phrase de passe assez longue 2026 !"
    done = browser.post(form.redirect_chain[-1][0], {"new_password1": password, "new_password2": password})
    assert done.status_code == 302
    assert User.objects.get(email="coord@ac-amiens.fr").check_password(password)


def test_it_never_runs_twice_nor_for_one_person():
    with pytest.raises(CommandError, match="deux personnes différentes"):
        install(coordinator="ADMIN@ac-amiens.fr")  # the same address, however typed
    assert not Membership.objects.exists()
    install()
    with pytest.raises(CommandError, match="déjà un administrateur ou un coordinateur"):
        install(admin="autre@ac-amiens.fr", coordinator="encore@ac-amiens.fr")
    assert Membership.objects.count() == 2
