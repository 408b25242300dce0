"""Intake flags: the words and boxes that make a report jump the queue."""

import pytest

from halte.reports.flags import evaluate


@pytest.mark.parametrize(
    ("text", "signs", "forms", "danger", "expected"),
    [
        ("On se moque de moi à la cantine.", [], ["verbal"], False, []),
        ("Il m'a dit d'aller me suicider.", [], [], False, ["self_harm"]),
        ("Elle dit qu'elle veut MOURIR.", [], [], False, ["self_harm"]),
        ("Je me scarifie depuis un mois.", [], [], False, ["self_harm"]),
        ("Je n'ai plus envie de vivre.", [], [], False, ["self_harm"]),
        ("Rien de précis.", ["suicidal"], [], False, ["self_harm"]),
        ("Rien de précis.", ["self_harm"], [], False, ["self_harm"]),
        ("Ils ont fait tourner des photos intimes d'elle.", [], [], False, ["sexual"]),
        ("Il réclame des nudes.", [], [], False, ["sexual"]),
        ("Des gestes déplacés.", [], ["sexual"], False, ["sexual"]),
        ("Il a été violé dans les toilettes.", [], [], False, ["sexual"]),
        # "violent" and "violet" are not "viol".
        ("Un jeu violent avec un ballon violet.", [], [], False, []),
        ("Il est venu avec un couteau dans son sac.", [], [], False, ["weapon"]),
        ("Il a sorti une ARME.", [], [], False, ["weapon"]),
        # "larme" and "alarme" contain "arme" but are not weapons.
        ("Elle est en larmes, l'alarme a sonné.", [], [], False, []),
        ("Mon père me frappe quand je rentre.", [], [], False, ["family_danger"]),
        ("Il subit de la maltraitance.", [], [], False, ["family_danger"]),
        ("Ça se passe en ce moment.", [], [], True, ["immediate_danger"]),
        (
            "Il a un couteau et dit qu'il va se tuer.",
            [],
            [],
            True,
            ["self_harm", "weapon", "immediate_danger"],
        ),
    ],
)
def test_flags(text, signs, forms, danger, expected):
    assert evaluate(text=text, forms=forms, signs=signs, immediate_danger=danger) == expected
