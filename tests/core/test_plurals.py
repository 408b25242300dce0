"""« 0 dossier à examiner », never « 0 dossiers »: untranslated French messages take the French plural."""

import pytest
from django.template import Context, Template
from django.utils import translation
from django.utils.translation import ngettext


@pytest.mark.parametrize(("count", "expected"), [(0, "0 dossier"), (1, "1 dossier"), (2, "2 dossiers")])
def test_untranslated_plurals_follow_the_french_rule(count, expected):
    with translation.override("fr"):
        assert ngettext("%(n)s dossier", "%(n)s dossiers", count) % {"n": count} == expected
        template = Template(
            "{% load i18n %}{% blocktranslate count n=count %}{{ n }} dossier{% plural %}{{ n }} dossiers"
            "{% endblocktranslate %}"
        )
        assert template.render(Context({"count": count})) == expected


def test_a_catalogued_message_keeps_its_catalogue_rule():
    # Django's own French catalogue has this message: its translation and rule are used.
    with translation.override("fr"):
        assert ngettext("%(num)d second", "%(num)d seconds", 0) % {"num": 0} != "0 seconds"
