"""Exports of one shown table: CSV (for French spreadsheets: UTF-8 with a BOM, « ; » between fields,
decimal comma), XLSX (openpyxl) and ODS (odfpy).

Each export writes a :class:`~halte.stats.tables.ShownTable` — the very object the page renders, after
suppression — so an export can never show what the page hides. A value hidden on the page is written
as its mark (« masqué », « — »), never as a number. Every file carries the title, the filters
and the notes that explain the marks.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .tables import PERCENT, ShownCell, ShownTable


@dataclass(frozen=True)
class Export:
    content: bytes
    content_type: str
    extension: str


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe(text: str) -> str:
    """Text a spreadsheet will never run as a formula (an organisation named « =HYPERLINK(…) »)."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _number_text(cell: ShownCell) -> str:
    """A cell as CSV text: the number, with a decimal comma, or the mark when hidden."""
    if cell.value is None:
        return _safe(cell.text)
    if isinstance(cell.value, int) or float(cell.value).is_integer():
        return str(int(cell.value))
    return f"{cell.value}".replace(".", ",")


def _header(table: ShownTable) -> list[str]:
    return [_safe(text) for text in (table.row_header, *table.columns)]


def _footer(table: ShownTable, description: str) -> list[str]:
    lines = [
        *([table.unavailable] if table.unavailable else []),
        _("Filtres : %(description)s") % {"description": description},
        _("Unités : délais en heures, parts en pourcentage."),
        *table.notes,
    ]
    return [_safe(line) for line in lines]


def to_csv(table: ShownTable, description: str) -> Export:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(_header(table))
    for row in table.rows:
        writer.writerow([_safe(row.label), *(_number_text(cell) for cell in row.cells)])
    writer.writerow([])
    writer.writerow([_safe(table.title)])
    for line in _footer(table, description):
        writer.writerow([line])
    return Export(
        content=("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8", extension="csv"
    )


def to_xlsx(table: ShownTable, description: str) -> Export:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table.key[:31]
    sheet.append([_safe(table.title)])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([])
    sheet.append(_header(table))
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    for row in table.rows:
        values: list[object] = [_safe(row.label)]
        formats: list[str | None] = [None]
        for cell in row.cells:
            if cell.value is None:
                values.append(_safe(cell.text))
                formats.append(None)
            elif cell.kind == PERCENT:
                values.append(cell.value / 100)
                formats.append("0.0%")
            else:
                values.append(cell.value)
                formats.append("0" if isinstance(cell.value, int) else "0.0")
        sheet.append(values)
        for written, number_format in zip(sheet[sheet.max_row], formats, strict=True):
            if number_format:
                written.number_format = number_format
            if row.is_total:
                written.font = Font(bold=True)
    sheet.append([])
    for line in _footer(table, description):
        sheet.append([line])
    sheet.column_dimensions["A"].width = 48
    buffer = io.BytesIO()
    workbook.save(buffer)
    return Export(
        content=buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        extension="xlsx",
    )


def to_ods(table: ShownTable, description: str) -> Export:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    sheet = Table(name=table.key[:31])

    def text_row(texts: list[str]) -> None:
        row = TableRow()
        for text in texts:
            cell = TableCell(valuetype="string")
            cell.addElement(P(text=text))
            row.addElement(cell)
        sheet.addElement(row)

    text_row([_safe(table.title)])
    text_row([])
    text_row(_header(table))
    for shown_row in table.rows:
        row = TableRow()
        label = TableCell(valuetype="string")
        label.addElement(P(text=_safe(shown_row.label)))
        row.addElement(label)
        for shown_cell in shown_row.cells:
            if shown_cell.value is None:
                cell = TableCell(valuetype="string")
            elif shown_cell.kind == PERCENT:
                cell = TableCell(valuetype="percentage", value=shown_cell.value / 100)
            else:
                cell = TableCell(valuetype="float", value=shown_cell.value)
            cell.addElement(P(text=shown_cell.text))
            row.addElement(cell)
        sheet.addElement(row)
    text_row([])
    for line in _footer(table, description):
        text_row([line])
    document.spreadsheet.addElement(sheet)
    buffer = io.BytesIO()
    document.write(buffer)
    return Export(
        content=buffer.getvalue(), content_type="application/vnd.oasis.opendocument.spreadsheet", extension="ods"
    )


WRITERS: dict[str, Callable[[ShownTable, str], Export]] = {"csv": to_csv, "xlsx": to_xlsx, "ods": to_ods}
