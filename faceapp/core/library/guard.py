"""One decorator for every public library method: engine errors in one sentence, lost races retried."""

from __future__ import annotations

import functools
import time
from typing import Any, Callable, TypeVar

__all__ = ["guarded", "RETRIES"]

T = TypeVar("T")
#: Attempts at a method that lost a race with another writer (serialization failure, deadlock, unique clash).
RETRIES = 5


def guarded(method: Callable[..., T]) -> Callable[..., T]:
    """Engine exceptions → the library's one-sentence StorageError; a lost race → the whole method again.

    Only the outermost call decides: inside a transaction the exception goes up
    unchanged (the transaction is void, so retrying one statement would be wrong).
    """

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> T:
        for attempt in range(1, RETRIES + 1):
            try:
                return method(self, *args, **kwargs)
            except self._retryable as exc:
                if self._in_transaction:
                    raise
                if attempt == RETRIES:
                    raise self._storage_error(exc) from None
                time.sleep(0.05 * attempt * attempt)  # lets the other writer finish
            except self._errors as exc:
                if self._in_transaction:
                    raise
                raise self._storage_error(exc) from None
        raise AssertionError("unreachable")

    return wrapper
