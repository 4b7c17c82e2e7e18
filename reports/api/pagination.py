"""Cursor pages in id order: a row added while a client walks the pages lands on the last page,
never shifting or repeating a row already walked (DRF's CursorPagination, which pages by the
position of the last row, not by an offset)."""

from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

from reports.api.schema import MAX_PAGE_SIZE
from reports.selectors import BadFilter

PAGINATION_PARAMS = ("cursor", "page_size")


def page_size_of(params) -> int:
    """The page size asked for, or BadFilter: a page size is never silently changed."""
    values = params.getlist("page_size")
    if not values:
        return IdCursor.page_size
    if len(values) == 1 and values[0].isdigit() and 1 <= int(values[0]) <= MAX_PAGE_SIZE:
        return int(values[0])
    shown = "', '".join(values)
    raise BadFilter([f"Page size ('page_size'): '{shown}' is not a whole number from 1 to {MAX_PAGE_SIZE}."])


class IdCursor(CursorPagination):
    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        return page_size_of(request.query_params)

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise BadFilter(
                [
                    f"Cursor ('cursor'): '{request.query_params.get('cursor')}' is not a cursor this API "
                    "gave. Follow a page's next or previous link, or start again without a cursor."
                ]
            ) from None

    def links(self) -> dict:
        return {"next": self.get_next_link(), "previous": self.get_previous_link()}
