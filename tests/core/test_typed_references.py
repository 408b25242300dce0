"""A case reference typed as people type it is read in its own form, wherever a form asks for one."""

import pytest

from halte.core.references import typed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HS-2026-000042", "HS-2026-000042"),
        (" hs-2026-000042 ", "HS-2026-000042"),
        ("hs 2026 42", "HS-2026-000042"),
        ("HS2026000042", "HS-2026-000042"),
        ("hs.2026/42", "HS-2026-000042"),
        ("SIG-2026-7", "SIG-2026-000007"),
        ("HS-2026-1234567", "HS-2026-1234567"),  # too long a number: left as typed, found by nobody
        ("dossier de Léa", "DOSSIER DE LÉA"),
        ("", ""),
    ],
)
def test_a_typed_reference_is_read_in_its_own_form(text, expected):
    assert typed(text) == expected
