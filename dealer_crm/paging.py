"""Paging for lists too big to count on every view (a million customers: COUNT(*) alone costs
half a second or more). It fetches one row more than a page to know whether there is a next one."""

from dataclasses import dataclass

from django.db.models import QuerySet


@dataclass
class UncountedPage:
    object_list: list
    number: int
    has_next: bool
    per_page: int

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


def uncounted_page(queryset: QuerySet, page: str | None, *, per_page: int) -> UncountedPage:
    try:
        number = max(int(page or 1), 1)
    except ValueError:
        number = 1
    start = (number - 1) * per_page
    rows = list(queryset[start : start + per_page + 1])
    return UncountedPage(object_list=rows[:per_page], number=number, has_next=len(rows) > per_page,
                         per_page=per_page)
