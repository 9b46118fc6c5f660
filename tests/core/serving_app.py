"""A WSGI application for tests/core/test_serving.py: answers the request's path, body and the worker's pid."""

import os


def application(environ, start_response):
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    answer = f"{environ['PATH_INFO']} {body.decode()} {os.getpid()}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(answer)))])
    return [answer]
