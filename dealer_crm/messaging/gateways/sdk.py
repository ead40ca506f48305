"""What the gateways built on a provider's SDK (aliyun, tencent) share: reading a network failure
the SDK wrapped, and making a batch's calls side by side.

Both SDKs wrap the `requests` exception they met in one of their own (Aliyun's RetryError inside an
UnretryableException, Tencent's TencentCloudSDKException "ClientNetworkError"), raised while the
original is being handled, so it is still there in `__context__`. Whether the request left the
machine decides the outcome: a connection that could not be made is TEMPORARY (nothing was sent,
retry later); a request sent and not answered (a read timeout, a connection dropped mid-answer) is
UNKNOWN — the provider may have the message, and it is never sent again blindly.
"""

import queue
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import requests
from urllib3.exceptions import ConnectTimeoutError

from .. import reasons
from .base import TEMPORARY, UNKNOWN


def network_error(error: BaseException | None) -> requests.RequestException | None:
    """The `requests` exception behind an SDK's error, if there is one."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, requests.RequestException):
            return error
        seen.add(id(error))
        error = getattr(error, "inner_exception", None) or error.__cause__ or error.__context__
    return None


def never_sent(error: requests.RequestException) -> bool:
    """True when the request cannot have reached the provider: no connection was made."""
    if isinstance(error, (requests.ConnectTimeout, requests.exceptions.SSLError, requests.exceptions.ProxyError)):
        return True
    if isinstance(error, requests.ConnectionError) and error.args:
        # requests wraps urllib3's MaxRetryError, whose reason says what failed; a refused or
        # unresolvable connection is a NewConnectionError, a ConnectTimeoutError subclass.
        return isinstance(getattr(error.args[0], "reason", None), ConnectTimeoutError)
    return False


def network_outcome(error: BaseException) -> tuple[str, str, str] | None:
    """(TEMPORARY or UNKNOWN, reason code, detail) for an SDK error caused by the network; None otherwise."""
    cause = network_error(error)
    if cause is None:
        return None
    if never_sent(cause):
        return TEMPORARY, reasons.NO_CONNECTION, type(cause).__name__
    if isinstance(cause, requests.Timeout):
        return UNKNOWN, reasons.TIMEOUT, ""
    return UNKNOWN, reasons.CONNECTION_BROKEN, type(cause).__name__


class ClientPool:
    """SDK clients for calls made side by side, each used by one thread at a time (the SDKs do not
    promise their clients are thread-safe) and kept for the next batch, with their connections."""

    def __init__(self, make: Callable[[], object]):
        self._make = make
        self._idle: queue.SimpleQueue = queue.SimpleQueue()

    @contextmanager
    def client(self) -> Iterator[object]:
        try:
            client = self._idle.get_nowait()
        except queue.Empty:
            client = self._make()
        try:
            yield client
        finally:
            self._idle.put(client)


def side_by_side(calls: list, work: Callable, *, parallel: int) -> list:
    """work(call) for each call, up to `parallel` at once, the answers in the calls' order.
    `work` must not raise: it answers for its messages whatever happened."""
    if parallel <= 1 or len(calls) <= 1:
        return [work(call) for call in calls]
    with ThreadPoolExecutor(max_workers=min(parallel, len(calls)), thread_name_prefix="sms-gateway") as pool:
        return list(pool.map(work, calls))
