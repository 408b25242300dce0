"""`manage.py retention`: apply the retention rules now (`--dry-run`: only say what would go).

The periodic pass (`manage.py tick`) applies the same rules every minute, a bounded batch at a time;
this command is for the DPO's check before a deployment (`--dry-run`) and for catching up at once
(it repeats the batches until nothing is due). It takes the periodic pass's lock, so it never runs
alongside a pass. Output: per rule, a count and references (case and report references, public ids),
never content.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from halte.cases.management.commands.tick import parse_now
from halte.core import periodic, retention

MAX_ROUNDS = 1000


class Command(BaseCommand):
    help = "Applique les durées de conservation (--dry-run : affiche seulement ce qui serait effacé ou anonymisé)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Ne rien changer : afficher ce qui partirait.")
        parser.add_argument("--now", help="Instant de référence au format ISO (ex. 2026-11-25T10:00).")
        parser.add_argument(
            "--rule",
            action="append",
            choices=[rule.key for rule in retention.RULES],
            help="Seulement cette règle (peut être répété).",
        )

    def handle(self, *args, dry_run=False, now=None, rule=None, **options):
        moment = parse_now(now) if now else timezone.now()
        wanted = set(rule) if rule else {r.key for r in retention.RULES}
        if dry_run:
            pending = retention.plan(moment)
            for item in retention.RULES:
                if item.key in wanted:
                    self._line(item, pending[item.key].count, pending[item.key].refs, "à traiter")
            self.stdout.write("Simulation : rien n’a été modifié.")
            return
        with periodic.exclusive() as acquired:
            if not acquired:
                raise CommandError("Un passage périodique est en cours : relancez dans une minute.")
            totals = {key: retention.Outcome() for key in wanted}
            for _round in range(MAX_ROUNDS):
                result = retention.run(moment, rules=wanted)
                for key, outcome in result.outcomes.items():
                    totals[key].add(outcome)
                if not any(outcome.count for outcome in result.outcomes.values()):
                    break
        for item in retention.RULES:
            if item.key in wanted:
                self._line(item, totals[item.key].count, totals[item.key].refs, "traité(s)")

    def _line(self, rule, count: int, refs: list[str], verb: str) -> None:
        self.stdout.write(f"{rule.key} — {rule.category} ({rule.duration}) : {count} {verb}")
        shown = refs[: retention.REFS_SHOWN]
        if shown:
            more = f" … et {count - len(shown)} autre(s)" if count > len(shown) else ""
            self.stdout.write("    " + ", ".join(shown) + more)
