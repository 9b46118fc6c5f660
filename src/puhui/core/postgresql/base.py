"""Django's PostgreSQL backend, but a kept connection's health is checked without a round trip.

With CONN_HEALTH_CHECKS Django sends `SELECT 1` before the first query of every request that reuses a
connection: one of the dozen round trips of a money request. A connection the server has hung up on (a restart,
an idle timeout, a terminated backend) tells the client so: the server's last message, then the end of the
stream, wait in the socket. An idle connection has nothing to read. So: readable while idle → not usable
(Django connects anew); a connection that is not idle gets Django's own check.
"""

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.info.transaction_status != pq.TransactionStatus.IDLE:
            return super().is_usable()
        readable, _writable, _failed = select.select([connection.fileno()], [], [], 0)
        return not readable
