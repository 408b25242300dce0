"""Bar charts drawn by the server as inline SVG, from shown tables only.

No script, no external asset, no inline style (the CSP forbids them): geometry and colours are SVG
attributes. Each chart comes with a text summary (the ``<figcaption>``, which also labels the SVG) and
sits next to its table, which holds the same figures for anyone who cannot see the chart. Hidden
values (« masqué », « — ») get no bar, only their mark: a chart never shows more than the
table.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .tables import PERCENT, ShownTable

WIDTH = 640
ROW_HEIGHT = 44
LABEL_BASELINE = 15
BAR_TOP = 21
BAR_HEIGHT = 16
VALUE_ROOM = 110  # room left of the right edge for the value after the longest bar
BAR_COLOUR = "#000091"  # DSFR blue France
TEXT_COLOUR = "#161616"
AXIS_COLOUR = "#929292"


@dataclass(frozen=True)
class Bar:
    label: str
    text: str
    y_label: int
    y_bar: int
    width: float  # 0 when hidden or zero
    x_text: float
    y_text: int
    hidden: bool


@dataclass(frozen=True)
class Chart:
    id: str
    width: int
    height: int
    bars: list[Bar]
    summary: str
    axis_x: int = 0


def _summary(table: ShownTable, column: int) -> str:
    rows = [row for row in table.rows if not row.is_total]
    shown = [(row.label, row.cells[column]) for row in rows if row.cells[column].value is not None]
    hidden = sum(1 for row in rows if row.cells[column].is_hidden)
    parts = []
    if shown:
        highest = max(shown, key=lambda item: float(item[1].value or 0))
        lowest = min(shown, key=lambda item: float(item[1].value or 0))
        if highest[1].value == lowest[1].value:
            parts.append(
                _("%(title)s : même valeur pour chaque ligne affichée (%(value)s).")
                % {"title": table.title, "value": highest[1].text}
            )
        else:
            parts.append(
                _(
                    "%(title)s : valeur la plus élevée pour « %(high)s » (%(high_value)s), "
                    "la plus basse pour « %(low)s » (%(low_value)s)."
                )
                % {
                    "title": table.title,
                    "high": highest[0],
                    "high_value": highest[1].text,
                    "low": lowest[0],
                    "low_value": lowest[1].text,
                }
            )
    totals = [row for row in table.rows if row.is_total and row.cells[column].value is not None]
    if totals:
        parts.append(_("Total : %(total)s.") % {"total": totals[0].cells[column].text})
    if hidden:
        parts.append(
            ngettext(
                "%(count)d valeur n’est pas affichée (petit effectif ou trop peu de situations).",
                "%(count)d valeurs ne sont pas affichées (petits effectifs ou trop peu de situations).",
                hidden,
            )
            % {"count": hidden}
        )
    parts.append(_("Les valeurs figurent dans le tableau qui suit."))
    return " ".join(parts)


def chart_for(table: ShownTable) -> Chart | None:
    """A horizontal bar chart of the table's chart column (total row left out), or None."""
    column = table.chart_column
    rows = [row for row in table.rows if not row.is_total]
    if column is None or not rows:
        return None
    cells = [row.cells[column] for row in rows]
    values = [cell.value for cell in cells if cell.value is not None]
    if not values:
        return None
    top = 100.0 if cells[0].kind == PERCENT else float(max(values)) or 1.0
    room = WIDTH - VALUE_ROOM
    bars = []
    for index, (row, cell) in enumerate(zip(rows, cells, strict=True)):
        y = index * ROW_HEIGHT
        width = 0.0 if cell.value is None else round(max(float(cell.value), 0.0) / top * room, 1)
        bars.append(
            Bar(
                label=row.label,
                text=cell.text,
                y_label=y + LABEL_BASELINE,
                y_bar=y + BAR_TOP,
                width=width,
                x_text=round(width + 6, 1),
                y_text=y + BAR_TOP + BAR_HEIGHT - 3,
                hidden=cell.value is None,
            )
        )
    return Chart(
        id=f"graphique-{table.key}",
        width=WIDTH,
        height=len(rows) * ROW_HEIGHT + 4,
        bars=bars,
        summary=_summary(table, column),
    )
