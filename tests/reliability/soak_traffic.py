"""The soak's traffic (issue #7 item 8): 32 keep-alive clients on one asyncio loop, each one device or browser.

Money devices (account managers' tokens) draw and repay through the API with an Idempotency-Key; on a broken
connection, a 5xx or a 409 `in_progress` they send the same request again with the SAME key, as a real device
does, and log the final answer — the log the database is reconciled against. Evaluators autosave votes through
their pages (session and CSRF, as the browser), the head office imports registers through the API and polls the
job, reads the city's indicators through the API and the dashboard page, and starts end of day on its page.
"""

import asyncio
import itertools
import json
import re
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from bench.workloads.money import plan

# A device retries for up to 90 s (the last answer is what it logs): far longer than any request runs.
RETRY_SECONDS = 90
FORM = "application/x-www-form-urlencoded"
EXPECTED = {  # what each kind of request answers when nothing went wrong
    "drawdown": {201},
    "repayment": {201},
    "over_limit": {422},
    "vote": {200},
    "kpi_api": {200},
    "dashboard": {200},
    "import": {202},
    "job_poll": {200},
    "eod_page": {200, 302},
}


@dataclass
class Attempt:
    """One HTTP exchange (599: the connection broke before an answer)."""

    kind: str
    status: int
    started: float
    finished: float


@dataclass
class Posting:
    """A money request as the device logs it: the final answer after its retries."""

    key: str
    kind: str
    line: int
    amount_fen: int
    status: int
    tries: int
    loan_id: int | None = None
    code: str = ""


@dataclass
class Log:
    """Everything the clients saw, on the loop's clock (time.perf_counter)."""

    stop_at: float
    attempts: list[Attempt] = field(default_factory=list)
    postings: list[Posting] = field(default_factory=list)
    import_jobs: dict[int, dict] = field(default_factory=dict)  # job id → the last job answer
    votes_saved: Counter = field(default_factory=Counter)  # card position → saved answers
    events: dict = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)

    def note(self, kind: str, status: int, body: bytes, started: float) -> None:
        self.attempts.append(Attempt(kind, status, started, time.perf_counter()))
        if status not in EXPECTED[kind] and len(self.samples) < 12:
            self.samples.append(f"{kind} {status} {body[:200]!r}")

    @property
    def stopped(self) -> bool:
        return time.perf_counter() >= self.stop_at


class Http:
    """One keep-alive HTTP/1.1 connection with a bearer token (API) or a cookie jar (pages)."""

    def __init__(self, port: int, *, token: str = "", cookies: dict | None = None) -> None:
        self.port, self.token, self.cookies = port, token, dict(cookies or {})
        self.reader = self.writer = None

    async def send(self, method: str, path: str, body: bytes = b"", headers: dict | None = None):
        """(status, lower-cased headers, body); raises OSError and friends when the connection breaks."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", f"Content-Length: {len(body)}"]
        if self.token:
            lines.append(f"Authorization: Bearer {self.token}")
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        return await self._answer()

    async def _answer(self):
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        status_line, *header_lines = head.strip().split("\r\n")
        headers: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookie, _, _rest = value.partition(";")
                key, _, val = cookie.partition("=")
                self.cookies[key.strip()] = val.strip()
            headers[name] = value
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        else:
            body = await self.reader.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            self.close()
        return int(status_line.split()[1]), headers, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


BROKEN = (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, IndexError)


async def call(http: Http, log: Log, kind: str, method: str, path: str, body: bytes = b"", headers=None):
    """One exchange, logged; a broken connection is answered 599 (and reopened by the next call)."""
    started = time.perf_counter()
    try:
        status, answer_headers, answer = await http.send(method, path, body, headers)
    except BROKEN as exc:
        http.close()
        status, answer_headers, answer = 599, {}, repr(exc).encode()
    log.note(kind, status, answer, started)
    return status, answer_headers, answer


async def login(port: int, username: str, password: str) -> dict:
    """A browser's session through the real login page (CSRF cookie, form, session cookie)."""
    http = Http(port)
    try:
        await http.send("GET", "/login/")
        form = {"username": username, "password": password, "csrfmiddlewaretoken": http.cookies["csrftoken"]}
        status, _headers, body = await http.send("POST", "/login/", urlencode(form).encode(), {"Content-Type": FORM})
        if status != 302 or "sessionid" not in http.cookies:
            raise RuntimeError(f"login of {username} failed: {status} {body[:300]!r}")
        return dict(http.cookies)
    finally:
        http.close()


# --- the clients ---------------------------------------------------------------------------------------------


async def money_client(log: Log, port: int, token: str, lines: list[int], name: str) -> None:
    http = Http(port, token=token)
    try:
        for n, (kind, line, action, payload) in enumerate(plan(lines)):
            if log.stopped:
                return
            await posting_send(log, http, f"{name}-{n}", kind, line, action, payload)
    finally:
        http.close()


async def posting_send(log: Log, http: Http, key: str, kind: str, line: int, action: str, payload: dict) -> None:
    """One money request until it has a real answer: a retry carries the same key and the same body."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "Idempotency-Key": key}
    give_up_at, tries = time.monotonic() + RETRY_SECONDS, 0
    while True:
        tries += 1
        status, _headers, answer = await call(
            http, log, kind, "POST", f"/api/v1/credit-lines/{line}/{action}", body, headers
        )
        if not (status >= 500 or (status == 409 and b'"in_progress"' in answer)) or time.monotonic() > give_up_at:
            break
        await asyncio.sleep(min(2.0, 0.1 * 2**tries))
    posting = Posting(key, kind, line, int(Decimal(payload["amount"]) * 100), status, tries)
    if status == 201 and action == "drawdowns":
        posting.loan_id = json.loads(answer)["loan_id"]
    elif status != 201:
        posting.code = _error_code(answer)
    log.postings.append(posting)


def _error_code(answer: bytes) -> str:
    try:
        return json.loads(answer)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return answer[:80].decode("utf-8", "replace")


VOTE = {"knows": "yes", "integrity": "good", "debt": "little", "high_interest": "no"}


async def vote_client(log: Log, port: int, cookies: dict, round_id: int, positions: list[int]) -> None:
    """An evaluator's phone autosaving cards (htmx), a few taps a second."""
    http = Http(port, cookies=cookies)
    headers = {"Content-Type": FORM, "HX-Request": "true", "X-CSRFToken": cookies["csrftoken"]}
    try:
        for turn, n in enumerate(itertools.cycle(positions)):
            if log.stopped:
                return
            form = urlencode({**VOTE, "amount": str(50_000 + 1_000 * (turn % 50))}).encode()
            status, _h, body = await call(http, log, "vote", "POST", f"/evaluate/{round_id}/{n}/save/", form, headers)
            if status == 200 and b'data-state="saved"' in body:
                log.votes_saved[n] += 1
            await asyncio.sleep(0.3)
    finally:
        http.close()


async def reader_client(log: Log, port: int, kind: str, path: str, pause: float, **auth) -> None:
    """Indicators read through the API (token) or the dashboard page (session)."""
    http = Http(port, **auth)
    try:
        while not log.stopped:
            await call(http, log, kind, "GET", path)
            await asyncio.sleep(pause)
    finally:
        http.close()


async def import_client(log: Log, port: int, token: str, workbook: bytes, name: str) -> None:
    """A register uploaded through the API, its job polled to the end, and again (the import is idempotent)."""
    http = Http(port, token=token)
    try:
        while not log.stopped:
            boundary = secrets.token_hex(12)
            body = multipart(boundary, f"{name}.xlsx", workbook)
            headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
            status, _h, answer = await call(http, log, "import", "POST", "/api/v1/imports/households", body, headers)
            if status != 202:
                await asyncio.sleep(1)
                continue
            await job_awaited(log, http, json.loads(answer)["job_id"], name)
    finally:
        http.close()


async def job_awaited(log: Log, http: Http, job_id: int, client: str, grace: float = 180) -> None:
    """Poll GET /jobs/{id} until the job has finished (beyond the run's end too, within a grace period)."""
    log.import_jobs[job_id] = {"status": "queued", "client": client}
    while time.perf_counter() < log.stop_at + grace:
        await asyncio.sleep(1)
        status, _h, answer = await call(http, log, "job_poll", "GET", f"/api/v1/jobs/{job_id}")
        if status == 200:
            log.import_jobs[job_id] = {**json.loads(answer), "client": client}
            if log.import_jobs[job_id]["status"] in ("succeeded", "failed"):
                return


def multipart(boundary: str, filename: str, content: bytes) -> bytes:
    return (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )


async def eod_started(log: Log, port: int, cookies: dict, until: str) -> None:
    """The head office starts end of day on its page; the job runs in the db_worker beside the traffic."""
    http = Http(port, cookies=cookies)
    try:
        await call(http, log, "eod_page", "GET", "/eod/")
        form = urlencode({"until": until, "csrfmiddlewaretoken": http.cookies["csrftoken"]}).encode()
        status, headers, body = await call(http, log, "eod_page", "POST", "/eod/", form, {"Content-Type": FORM})
        job = re.search(r"/eod/jobs/(\d+)/", headers.get("location", ""))
        log.events["eod_started_at"] = time.perf_counter()
        log.events["eod_job"] = int(job[1]) if status == 302 and job else None
        if log.events["eod_job"] is None:
            log.events["eod_refused"] = body[-500:].decode("utf-8", "replace")
    finally:
        http.close()
