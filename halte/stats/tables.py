"""The figures as tables, before and after statistical suppression.

The figure functions (:mod:`halte.stats.figures`) return :class:`Table` objects holding *typed* cells:
a :class:`Count`, a :class:`Rate` (numerator over denominator), a :class:`Mean`, a :class:`Delay`
(hours, over ``n`` cases), or ``None`` when the figure does not apply ("sans objet").

:func:`halte.stats.suppression.shown` turns a table into a :class:`ShownTable` whose cells carry the
text people read and the number exports write, after the privacy rules (the table by commune has its
own raw form, :class:`halte.stats.suppression.CommuneTable`, turned by ``shown_communes``). Every output — the page, the
charts, the CSV/XLSX/ODS exports, the yearly report PDF and the public page — is made from shown
tables only, so the rules cannot differ from one output to another. A shown table is plain data
(:meth:`ShownTable.to_dict`), so a published year is stored as JSON and rendered again later without
touching a case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# --- Raw cells ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Count:
    value: int


@dataclass(frozen=True)
class Rate:
    """A share: ``numerator`` situations out of ``denominator``."""

    numerator: int
    denominator: int


@dataclass(frozen=True)
class Mean:
    """An average over ``n`` units (e.g. cases per meeting)."""

    value: float | None
    n: int


@dataclass(frozen=True)
class Delay:
    """A duration in real hours (a median or a percentile) computed over ``n`` cases."""

    hours: float | None
    n: int


Cell = Count | Rate | Mean | Delay | None


@dataclass
class Row:
    label: str
    cells: list[Cell]


@dataclass
class Table:
    key: str  # slug, used in export URLs and file names
    title: str
    row_header: str
    columns: list[str]
    rows: list[Row]
    total_column: bool = False  # add a "Total" column: the sum of each row's counts
    total_row: bool = False  # add a "Total" row: the sum of each column's counts
    # In the "Total" row, a rate column computed from two count columns' totals: {rate: (numerator, denominator)}.
    total_rates: dict[int, tuple[int, int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    chart_column: int | None = 0  # the column drawn as a bar chart (None: no chart)


# --- Shown cells ----------------------------------------------------------------------------------

SHOWN = "shown"
MASKED = "masked"  # a commune's count below 5, or masked so that none can be worked out (table by commune)
TOO_FEW = "too_few"  # a delay, a rate or a mean computed on fewer than 5 cases
NOT_APPLICABLE = "na"

COUNT = "count"
PERCENT = "percent"
HOURS = "hours"
NUMBER = "number"


@dataclass(frozen=True)
class ShownCell:
    text: str  # what people read: "12", "masqué", "—", "67 %", "52 h"
    value: float | int | None  # what exports write as a number (None when hidden or not applicable)
    status: str = SHOWN
    kind: str = COUNT

    @property
    def is_hidden(self) -> bool:
        return self.status in (MASKED, TOO_FEW)

    def to_list(self) -> list[Any]:
        return [self.text, self.value, self.status, self.kind]

    @classmethod
    def from_list(cls, data: list[Any]) -> ShownCell:
        text, value, status, kind = data
        return cls(text=text, value=value, status=status, kind=kind)


@dataclass(frozen=True)
class ShownRow:
    label: str
    cells: list[ShownCell]
    is_total: bool = False


@dataclass(frozen=True)
class ShownTable:
    key: str
    title: str
    row_header: str
    columns: list[str]
    rows: list[ShownRow]
    notes: list[str]
    fine: bool  # below the département level (the table by commune)
    chart_column: int | None
    unavailable: str = ""  # why the table is not given for this selection; it then has no rows

    @property
    def statuses(self) -> set[str]:
        return {cell.status for row in self.rows for cell in row.cells}

    @property
    def heading_id(self) -> str:
        return f"tableau-{self.key}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "row_header": self.row_header,
            "columns": list(self.columns),
            "rows": [
                {"label": row.label, "total": row.is_total, "cells": [cell.to_list() for cell in row.cells]}
                for row in self.rows
            ],
            "notes": list(self.notes),
            "fine": self.fine,
            "chart_column": self.chart_column,
            "unavailable": self.unavailable,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ShownTable:
        return cls(
            key=data["key"],
            title=data["title"],
            row_header=data["row_header"],
            columns=list(data["columns"]),
            rows=[
                ShownRow(
                    label=row["label"],
                    cells=[ShownCell.from_list(cell) for cell in row["cells"]],
                    is_total=row["total"],
                )
                for row in data["rows"]
            ],
            notes=list(data["notes"]),
            fine=data["fine"],
            chart_column=data["chart_column"],
            unavailable=data.get("unavailable", ""),  # absent from years published before it existed
        )


@dataclass(frozen=True)
class Section:
    """A group of tables on the page ("Signalements reçus", "Délais"…)."""

    key: str
    title: str
    intro: str
    tables: list[ShownTable]

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "intro": self.intro,
            "tables": [table.to_dict() for table in self.tables],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Section:
        return cls(
            key=data["key"],
            title=data["title"],
            intro=data["intro"],
            tables=[ShownTable.from_dict(table) for table in data["tables"]],
        )
