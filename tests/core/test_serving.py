"""puhui.core.serving.KeepAliveWorker under a real gunicorn: connections kept alive, a client's pipelined
requests answered in order, a silent connection never holding the others, a graceful stop."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.workloads.money import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server():
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "tests.core.serving_app:application", "--bind", f"127.0.0.1:{port}"]
    argv += ["--worker-class", "puhui.core.serving.KeepAliveWorker", "--workers", "1", "--threads", "1"]
    argv += ["--keep-alive", "30", "--graceful-timeout", "5", "--log-level", "warning"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")])}
    master = subprocess.Popen(argv, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603 — fixed argv
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or master.poll() is not None:
                    raise
                time.sleep(0.1)
        yield port, master
    finally:
        if master.poll() is None:
            os.killpg(master.pid, signal.SIGKILL)
        master.wait(10)


def request(path: str, body: str = "") -> bytes:
    data = body.encode()
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(data)}\r\n\r\n"
    return head.encode() + data


def answers(sock: socket.socket, count: int) -> list[str]:
    """The bodies of the next `count` answers on the connection."""
    buffered, bodies = b"", []
    while len(bodies) < count:
        while b"\r\n\r\n" not in buffered:
            chunk = sock.recv(65536)
            assert chunk, "the server closed the connection"
            buffered += chunk
        head, buffered = buffered.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 200"), head
        length = int(next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))[15:])
        while len(buffered) < length:
            buffered += sock.recv(65536)
        bodies.append(buffered[:length].decode())
        buffered = buffered[length:]
    return bodies


def test_a_connection_is_kept_alive_for_the_next_request(server):
    port, _ = server
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request("/first", "一"))
        first = answers(sock, 1)[0]
        sock.sendall(request("/second", "二"))
        second = answers(sock, 1)[0]
    assert first.split()[:2] == ["/first", "一"] and second.split()[:2] == ["/second", "二"]
    assert first.split()[2] == second.split()[2]  # the same worker, on the same connection


def test_pipelined_requests_are_answered_in_order(server):
    port, _ = server
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"".join(request(f"/n{n}", str(n)) for n in range(50)))  # one write: read ahead together
        bodies = answers(sock, 50)
    assert [body.split()[:2] for body in bodies] == [[f"/n{n}", str(n)] for n in range(50)]


def test_a_silent_connection_does_not_hold_the_others(server):
    port, _ = server
    with socket.create_connection(("127.0.0.1", port), timeout=10) as silent:
        time.sleep(0.2)  # connected, nothing sent: the connection waits on the poller, not in the worker
        with socket.create_connection(("127.0.0.1", port), timeout=10) as other:
            other.settimeout(3)  # gthread's wait for a new connection's first bytes is 5 s
            other.sendall(request("/other"))
            assert answers(other, 1)[0].startswith("/other")
        silent.sendall(request("/late"))
        assert answers(silent, 1)[0].startswith("/late")


def test_the_worker_stops_gracefully(server):
    port, master = server
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request("/before-stop"))
        assert answers(sock, 1)[0].startswith("/before-stop")
    master.send_signal(signal.SIGTERM)
    assert master.wait(15) == 0


def test_http2_is_refused_at_start():
    from gunicorn.config import Config

    from puhui.core.serving import KeepAliveWorker

    config = Config()
    KeepAliveWorker.check_config(config, log=None)  # the default, HTTP/1.1
    config.set("http_protocols", "h2,h1")
    with pytest.raises(RuntimeError, match="HTTP/1.1 only"):
        KeepAliveWorker.check_config(config, log=None)
