"""Gunicorn's keep-alive worker with the requests handled in its event loop's own thread.

`gunicorn --worker-class puhui.core.serving.KeepAliveWorker --threads 1` (bench money; the API in production:
a money request is CPU-bound Python, so one single-threaded worker a core serves it best). Gunicorn's gthread
worker hands every request from its event loop to a pool thread and the answer back through a pipe: with one
thread a worker that buys nothing and costs a future, a queue, two thread switches, a pipe write and read and
two epoll changes a request (a hello-world app on this project's 2-core machine: 0.17 → 0.12 ms of CPU a
request). This worker keeps the rest of gthread as it is — kept-alive connections and new ones waiting on the
poller for their first bytes (a silent client never holds the worker), the limits, the graceful stop — and
handles a connection whose request has arrived right there, one request at a time like the sync worker.
"""

from collections import deque

from gunicorn.workers.gthread import _DEFER, ThreadWorker


class KeepAliveWorker(ThreadWorker):
    @classmethod
    def check_config(cls, cfg, log) -> None:
        """HTTP/1.1 only: an HTTP/2 connection is served until it closes, which here would hold the worker."""
        super().check_config(cfg, log)
        if "h2" in cfg.http_protocols:
            raise RuntimeError("KeepAliveWorker serves HTTP/1.1 only: leave --http-protocols at h1 (its default)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ready_conns = deque()  # connections with a request to handle, in the order they became ready
        self.handling = False

    def enqueue_req(self, conn) -> None:
        """Handle the connection's request now (gthread would submit it to its pool). A connection made ready
        while one is handled (a client's next pipelined request, read ahead) waits its turn in the queue
        instead of being handled from inside the first one."""
        self.ready_conns.append(conn)
        if self.handling:
            return
        self.handling = True
        try:
            while self.ready_conns:
                self._handle_ready(self.ready_conns.popleft())
        finally:
            self.handling = False

    def _handle_ready(self, conn) -> None:
        if not conn.initialized and not conn.data_ready:
            # A new connection: to the poller until its first bytes arrive (gthread's pool thread would wait up
            # to five seconds for them; here that would hold every other connection of the worker).
            self.finish_request(conn, _Outcome(_DEFER))
            return
        try:
            handled = _Outcome(self.handle(conn))
        except Exception as exc:  # as in gthread, where the pool's future holds it: the connection is closed
            handled = _Outcome(error=exc)
        self.finish_request(conn, handled)


class _Outcome:
    """What `finish_request` reads of a handled request (gthread passes its pool's future): the result, or the
    error it raises. A Future would make a lock and a condition for every request."""

    __slots__ = ("error", "value")

    def __init__(self, value=None, error: Exception | None = None) -> None:
        self.value, self.error = value, error

    def cancelled(self) -> bool:
        return False

    def result(self):
        if self.error is not None:
            raise self.error
        return self.value
