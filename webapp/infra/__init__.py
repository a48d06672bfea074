"""Herald's connections: Redis and queues, tasks enqueued by name, rq-scheduler dispatch, the live event bus and
SSE fan-out, mail, media storage, credential encryption, rate limits, logs, the after-commit outbox.
"""
