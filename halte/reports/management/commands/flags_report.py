"""`manage.py flags_report <corpus.toml>`: how the intake vocabulary reads a corpus of accounts.

Prints the recall of each critical flag, the false-alarm rate on the benign accounts, and every miss
and false alarm; fails (exit status 1) when a goal is not met: every critical flag found, at most
10 % false alarms.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from halte.reports.flags import LABELS
from halte.reports.flags import corpus as corpus_module


def _percent(value: float) -> str:
    return f"{value * 100:.1f} %".replace(".", ",")


class Command(BaseCommand):
    help = "Rappel par alerte critique et taux de fausses alertes de la détection sur un corpus de récits."

    def add_arguments(self, parser):
        parser.add_argument("corpus", help="Fichier TOML du corpus (par exemple tests/reports/flags_corpus.toml).")

    def handle(self, *args, corpus, **options):
        try:
            narratives = corpus_module.load(corpus)
        except corpus_module.CorpusError as error:
            raise CommandError(str(error)) from error
        result = corpus_module.measure(narratives)
        write = self.stdout.write
        write(
            _("Corpus : %(count)d récits, dont %(benign)d sans alerte attendue.")
            % {
                "count": len(narratives),
                "benign": result.benign,
            }
        )
        write("")
        write(_("Rappel par alerte (objectif : %(goal)s) :") % {"goal": _percent(corpus_module.RECALL_GOAL)})
        for code, score in result.scores.items():
            write(
                _("  %(label)s : %(found)d / %(expected)d, soit %(recall)s")
                % {
                    "label": LABELS[code],
                    "found": score.found,
                    "expected": score.expected,
                    "recall": _percent(score.recall),
                }
            )
        write("")
        write(
            _("Fausses alertes : %(count)d / %(benign)d, soit %(rate)s (objectif : au plus %(goal)s)")
            % {
                "count": len(result.false_alarms),
                "benign": result.benign,
                "rate": _percent(result.false_alarm_rate),
                "goal": _percent(corpus_module.FALSE_ALARM_GOAL),
            }
        )
        if result.misses:
            write("")
            write(_("Alertes manquées :"))
            for miss in result.misses:
                got = _("seulement « à vérifier »") if miss.got else _("rien")
                write(f"  {miss.narrative.id} — {LABELS[miss.flag]} — {got} — {miss.narrative.text}")
        if result.false_alarms:
            write("")
            write(_("Fausses alertes :"))
            for narrative, codes in result.false_alarms:
                labels = ", ".join(str(LABELS[code]) for code in codes)
                write(f"  {narrative.id} — {labels} — {narrative.text}")
        if not result.meets_goals:
            raise CommandError(_("Objectifs non atteints."))
        write("")
        write(self.style.SUCCESS(_("Objectifs atteints.")))
