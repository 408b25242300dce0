"""Races between the writes that decide whether a family may be told: « ne pas informer » set on one
case, a guardian linked on another, while someone records the family as informed or convokes a parent.
A check made while the other write is under way but not committed would pass, and the record or the
letter would stand next to the instruction once both commit. Each write takes the case row, then the
rows of the households concerned (``interventions.common.lock_families``): the check waits, then sees.

Each test pauses the first write inside its transaction, after its row is written, starts the second,
checks that it queues behind a lock, then lets the first commit (PostgreSQL only: row locks)."""

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from halte.cases import guardians, timeline
from halte.cases.models import Guardianship, Involvement
from halte.documents import actions as documents
from halte.documents.content import ConvocationDetails
from halte.documents.models import Document
from halte.interventions import families
from halte.interventions.common import InterventionRefused
from halte.interventions.models import FamilyContact, FamilyRestriction, ParentsInformation
from tests.documents.conftest import _isolated_storage  # noqa: F401 - autouse: documents in the test's folder
from tests.races import in_threads, join, on_postgresql, wait_until, waiting_for_locks

from .conftest import involve
from .factories import inform, link, restrict

pytestmark = [on_postgresql, pytest.mark.django_db(transaction=True)]

NEUTRAL = "ne pas contacter cette famille tant que cette consigne n’est pas levée"


class Pause:
    """Holds the first call of ``module.name`` until ``release``: the first write waits there, inside
    its transaction, its rows written and locked but not committed."""

    def __init__(self, monkeypatch, module, name):
        self.reached, self.go, self.used = threading.Event(), threading.Event(), False
        original = getattr(module, name)

        def held(*args, **kwargs):
            if not self.used:
                self.used = True
                self.reached.set()
                self.go.wait(timeout=60)
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, held)

    def release(self):
        self.go.set()


def race(first, second, pause: Pause, timeout=20.0):
    """Run ``first`` until its pause, then ``second``; ``second`` must queue behind ``first``'s locks."""
    threads, results = in_threads(first)
    try:
        assert pause.reached.wait(timeout=30), results
        more, later = in_threads(second)
        threads += more
        wait_until(lambda: waiting_for_locks() >= 1 or not more[0].is_alive(), timeout=timeout)
        assert more[0].is_alive(), f"the second write did not wait for the first: {later}"
    finally:
        pause.release()
        join(threads)
    return results[0], later[0]


def informing(case, people, pupil):
    return lambda: inform(case, people.coordinator, pupil)


@pytest.fixture
def tom_on_b(world, cast):
    """Tom, a victim on school B's case, and Hugo (alleged author on case A) share their father Marc."""
    link(cast.author, cast.author_guardian, "father")
    tom = involve(world.case_b, "victim", "Tom", "Bernard")
    Involvement.objects.create(case=world.case_b, person=cast.author_guardian, role="guardian")
    return tom


def test_informed_on_case_b_waits_for_ne_pas_informer_being_set_on_case_a(people, world, cast, tom_on_b, monkeypatch):
    link(tom_on_b, cast.author_guardian, "father")
    pause = Pause(monkeypatch, families, "event")
    restriction, informed = race(
        lambda: restrict(world.case_a, people.magistrate, cast.author, "Enquête."),
        informing(world.case_b, people, tom_on_b),
        pause,
    )
    assert isinstance(restriction, FamilyRestriction), restriction
    assert isinstance(informed, InterventionRefused), informed
    assert NEUTRAL in informed.message
    assert not ParentsInformation.objects.exists()
    assert not FamilyContact.objects.exists()


def test_informed_waits_for_the_guardian_link_that_joins_the_family_to_a_held_one(
    people, world, cast, tom_on_b, monkeypatch
):
    """Hugo's family is under « ne pas informer » on case A; on case B, Marc is being linked to Tom
    while someone records Tom's family as informed."""
    restrict(world.case_a, people.magistrate, cast.author, "Enquête.")
    pause = Pause(monkeypatch, timeline, "write")

    def link():
        return guardians.add_guardian(
            case=world.case_b,
            actor=people.coordinator,
            child=tom_on_b,
            guardian=cast.author_guardian,
            relationship="father",
            parental_authority=True,
        )

    linked, informed = race(link, informing(world.case_b, people, tom_on_b), pause)
    assert isinstance(linked, Guardianship), linked
    assert isinstance(informed, InterventionRefused), informed
    assert NEUTRAL in informed.message
    assert not ParentsInformation.objects.exists()


def test_a_convocation_waits_for_ne_pas_informer_being_set_and_is_refused(people, world, cast, monkeypatch):
    """The PDF is built outside any transaction; the refusal is checked again under the locks, so an
    instruction committed while it was rendered stops it."""
    link(cast.author, cast.author_guardian, "father", parental_authority=True)
    # A convocation goes to a postal address: without one it is refused before any lock is taken.
    cast.author_guardian.address = "12 rue des Lilas\n80000 Amiens"
    cast.author_guardian.save(update_fields=["address"])
    details = ConvocationDetails(
        on=timezone.localdate() + timedelta(days=3),
        at=timezone.localtime().time().replace(hour=14, minute=30, second=0, microsecond=0),
        place="Collège A, bureau de la CPE",
        purpose="Faire le point sur la situation.",
        contact="Mme Roux, CPE",
        pupil=cast.author,
    )
    pause = Pause(monkeypatch, families, "event")

    def convoke():
        return documents.generate(
            case=world.case_a,
            actor=people.coordinator,
            kind="convocation",
            recipient=cast.author_guardian,
            convocation=details,
        )

    restriction, convocation = race(
        lambda: restrict(world.case_a, people.magistrate, cast.author, "Enquête."),
        convoke,
        pause,
        timeout=60.0,
    )
    assert isinstance(restriction, FamilyRestriction), restriction
    assert isinstance(convocation, documents.DocumentRefused), convocation
    assert "ne pas informer" in str(convocation)
    assert not Document.objects.exists()
