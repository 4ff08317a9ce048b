"""How the assets fail: transient problems are retried, user mistakes fail at once, clearly."""

from collections.abc import Iterator
from contextlib import contextmanager

from dagster import Backoff, Failure, RetryPolicy

from planwise_assets.lib.errors import PlanwiseError

# A file lock held by another process (a reader, a concurrent run) is worth waiting out.
TRANSIENT_RETRY = RetryPolicy(max_retries=3, delay=2, backoff=Backoff.EXPONENTIAL)


@contextmanager
def user_errors_fail_the_run() -> Iterator[None]:
    """A bad file or a failed model is not transient: no retry, and the message says what failed."""
    try:
        yield
    except PlanwiseError as error:
        raise Failure(description=str(error), allow_retries=False) from error
