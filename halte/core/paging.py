"""List pages that stay fast whatever the number of rows.

A ``Paginator`` counts every matching row before it shows 25. ``BoundedPaginator`` counts at most
``limit + 1`` of them (``SELECT count(*) FROM (… LIMIT n)``): below the limit the count is exact,
above it the page says « plus de N » and offers the pages up to the limit, so no page of the list
ever reads more than ``limit`` rows to skip them. Narrowing the filters shows the others.
"""

from typing import Any

from django.core.paginator import Paginator
from django.utils.functional import cached_property

DEFAULT_LIMIT = 1000


class BoundedPaginator(Paginator):
    def __init__(self, object_list, per_page, *, limit: int | None = None, **kwargs) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.limit = DEFAULT_LIMIT if limit is None else limit

    @cached_property
    def _bounded(self) -> int:
        rows: Any = self.object_list  # a QuerySet: its slice counts in the database
        return rows[: self.limit + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._bounded, self.limit)

    @property
    def more(self) -> bool:
        """More rows match than the pages offer: the count shown is a floor (« plus de N »)."""
        return self._bounded > self.limit
