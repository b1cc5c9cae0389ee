"""Kombu's Redis transport with one fix: a worker whose broker restarts while it runs a task reconnects.

On a lost connection Celery 5.7 collects the connection (dropping its client) and then closes it; closing the
channel requeues the messages it holds unacknowledged (acks_late: every running task) through a new Redis client,
built from the client that is gone. Kombu raised AttributeError, which the worker takes for unrecoverable: it
finished its running tasks and exited. Raised as the connection error it is, the consumer reconnects; the running
tasks' messages are redelivered after the visibility timeout, as after any connection loss.
"""

from kombu.transport import redis
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(redis.Channel):
    def _connparams(self, asynchronous=False):
        if self.connection.client is None:
            raise RedisConnectionError("the broker connection is closed")
        return super()._connparams(asynchronous=asynchronous)


class Transport(redis.Transport):
    Channel = Channel
