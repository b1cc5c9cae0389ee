import logging


class RedactRequest(logging.Filter):
    """Keep request objects out of log lines: their repr carries the query string, and a
    JSON formatter would happily serialise whatever else is attached. Method and path stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = record.__dict__.pop("request", None)
        if request is not None:
            record.method = getattr(request, "method", None)
            record.path = getattr(request, "path", None)
        record.__dict__.pop("scope", None)
        return True
