"""Pages of long lists that count only as far as anyone reads.

An organisation at national scale holds hundreds of thousands of cases or incidents; counting them all for
"page 1 of 4,001" cost more than reading the page itself. `CappedPaginator` counts up to `cap` rows (an
index-only read of at most that many) and, past it, the page says "more than 10,000": filters narrow the
list, and exact totals are the dashboards' job.
"""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    def __init__(self, object_list, per_page, *, cap: int = COUNT_CAP, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def count(self) -> int:
        """The number of rows, or `cap + 1` when there are more than `cap`."""
        return self.object_list.order_by()[: self.cap + 1].count()

    @property
    def is_capped(self) -> bool:
        return self.count > self.cap


def page_query(request) -> str:
    """The request's query string without its page number, for the links to other pages
    (templates/components/pagination.html) and to exports of the same list."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
