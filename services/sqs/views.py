"""Pages SQS serves itself (under /sqs/, services/sqs/urls.py), for its GUI module (gui.js):

    /sqs/sandboxes/<id>/peek/?arn=<queue ARN>&limit=N   the queue's messages as they stand (peek.py)

Who may look is the platform's rule (playground.sandboxes.access.sandbox_for): the sandbox's owner,
or an instructor of its classroom, read-only; anyone else gets 404, as if it did not exist. Peeking
changes nothing, so the instructor may peek too.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from playground.sandboxes.access import sandbox_for
from playground.sandboxes.models import Clock
from services.sqs.peek import messages_peek
from services.sqs.queues import queue_by_arn


@login_required
@require_GET
def peek(request: HttpRequest, sandbox_id: int) -> JsonResponse:
    """GET ?arn=<queue ARN>&limit=N: the queue's oldest messages and their state, changing nothing."""
    found = sandbox_for(request.user, sandbox_id)
    if found is None:
        raise Http404("no such sandbox")
    sandbox, _ = found
    try:
        limit = int(request.GET.get("limit", "10"))
    except ValueError:
        limit = 10
    queue = queue_by_arn(sandbox=sandbox, arn=request.GET.get("arn", ""))
    if queue is None:
        return JsonResponse({"code": "QueueDoesNotExist", "message": "The specified queue does not exist."}, status=404)
    now = Clock.current(sandbox.pk).now()
    return JsonResponse(
        {"queue": queue.arn, "now": now.isoformat(), "messages": messages_peek(queue, now=now, limit=limit)}
    )
