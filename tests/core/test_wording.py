"""Words the cell's professionals trip on: no parenthesised gender ending on « ajouté(e) » anywhere in
what the application says (the sentence is turned so that it agrees with everyone)."""

from pathlib import Path

import halte

ROOT = Path(halte.__file__).parent


def test_no_ajoute_with_a_parenthesised_ending_in_the_ui():
    found = [
        str(path.relative_to(ROOT))
        for pattern in ("*.py", "*.html", "*.txt", "*.po")
        for path in ROOT.rglob(pattern)
        if "ajouté(e)" in path.read_text(encoding="utf-8", errors="ignore")
    ]
    assert found == []
