from api.errors import Forbidden, NotFound


class QueueForbidden(Forbidden):
    error = "queue_forbidden"
    message_key = "error.queue.forbidden"


class QueueEmpty(NotFound):
    error = "queue_empty"
    message_key = "error.queue.empty"
