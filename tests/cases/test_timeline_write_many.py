"""Many timeline lines at once (the benchmark's population) obey the same policy as one."""

import pytest

from halte.access.timeline import UndecidedEventKind
from halte.cases import timeline
from halte.cases.models import Event


@pytest.mark.parametrize(
    "line",
    [
        (None, None, "enquete_ouverte", "Enquête ouverte.", None),  # a kind without a decision
        (None, None, "note", "Note sans volet.", None),  # a kind whose compartment is its subject's
        (None, None, "note", "Note.", None, "reporter_identity"),  # not a compartment a line may sit in
    ],
)
def test_a_batch_with_one_undecided_line_writes_nothing(db, line):
    decided = (None, None, "opened", "Dossier ouvert.", None)
    with pytest.raises(UndecidedEventKind):
        timeline.write_many([decided, line])
    assert Event.objects.count() == 0
