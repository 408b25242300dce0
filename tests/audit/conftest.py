import pytest

from halte.audit.journal import record
from halte.audit.models import Action

from .chaintools import seal_now


@pytest.fixture
def journal(people):
    """Twelve rows as the cell writes them: French labels, nested details, a float, nobody as actor."""
    seal_now()
    rows = []
    for n in range(12):
        membership = people.coordinator if n % 2 else people.social_worker
        rows.append(
            record(
                Action.CASE_READ if n % 3 else Action.LOGIN_FAILED,
                actor=membership.user if n % 4 else None,
                membership=membership if n % 4 else None,
                target=membership,
                detail={"compartments": ["core", "health"], "note": "élève de 5ᵉ « B »", "score": 2.0, "n": n},
            )
        )
    return rows
