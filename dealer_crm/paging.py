"""Paging for lists too big to count on every view (a million customers: COUNT(*) alone costs
half a second or more). It fetches one row more than a page to know whether there is a next one."""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import QueryDict


@dataclass
class UncountedPage:
    object_list: list
    number: int
    has_next: bool
    per_page: int
    last: int | None = None  # the last page's number, when the caller knows how many rows there are

    def has_previous(self) -> bool:
        return self.number > 1

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0

    def end_index(self) -> int:
        return self.start_index() + len(self.object_list) - 1


# Pages past the end of a list are empty; past this one they stay empty instead of asking the
# database for an offset beyond its bigint (a page number of 24 digits was a 500).
MAX_PAGE = 1_000_000


def page_number(page: str | None, *, per_page: int, rows: int | None = None) -> tuple[int, int | None]:
    """The page number `page` asks for (1 if it is not a number) and the last page's, if `rows` is known."""
    try:
        number = min(max(int(page or 1), 1), MAX_PAGE)
    except ValueError:  # not a number, or more digits than Python converts
        number = 1
    last = max((rows + per_page - 1) // per_page, 1) if rows is not None else None
    return (min(number, last) if last is not None else number), last


def uncounted_page(queryset: QuerySet, page: str | None, *, per_page: int, rows: int | None = None) -> UncountedPage:
    """The page numbered `page`; with `rows` (the caller counted them) a number past the end is the last page."""
    number, last = page_number(page, per_page=per_page, rows=rows)
    start = (number - 1) * per_page
    found = list(queryset[start : start + per_page + 1])
    return UncountedPage(object_list=found[:per_page], number=number, has_next=len(found) > per_page,
                         per_page=per_page, last=last)


def sort_headers(query: QueryDict, *, current: str, columns: dict[str, tuple[str, str]]) -> dict[str, dict]:
    """Per sortable column (`columns`: the order a first click asks for, and the reverse a second
    click asks for): the link that sorts by it (reversed, if it is the current sort; the caller has
    taken the page out of `query`, so it starts from page 1) and its aria-sort, "ascending" or
    "descending" for the current sort, else ""."""
    headers = {}
    for column, (first, reverse) in columns.items():
        params = query.copy()
        params["order"] = reverse if current == first else first
        sorted_here = current in (first, reverse)
        headers[column] = {"href": f"?{params.urlencode()}",
                           "aria": ("descending" if current.startswith("-") else "ascending") if sorted_here else ""}
    return headers
