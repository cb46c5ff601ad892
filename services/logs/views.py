"""Pages CloudWatch Logs serves itself (under /logs/, services/logs/urls.py), for its GUI module:

    /logs/sandboxes/<id>/tail/?arn=<group ARN>&after=<event id>&pattern=<filter pattern>
        the live tail: the group's events newer than `after`, matching the pattern (the same
        engine as FilterLogEvents), at most 100; an invalid pattern answers 400 with AWS's words

Who may look is the platform's rule (playground.sandboxes.access.sandbox_for): the owner, or an
instructor of the sandbox's classroom; anyone else gets 404. Reading changes nothing.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from playground.sandboxes.access import sandbox_for
from playground.sandboxes.models import Clock
from services.logs import groups, ingest
from services.logs.patterns import PatternError, compile_pattern

TAIL_LIMIT = 100


@login_required
@require_GET
def tail(request: HttpRequest, sandbox_id: int) -> JsonResponse:
    found = sandbox_for(request.user, sandbox_id)
    if found is None:
        raise Http404("no such sandbox")
    sandbox, _ = found
    group = groups.group_by_arn(sandbox=sandbox, arn=request.GET.get("arn", ""))
    if group is None:
        return JsonResponse(
            {"code": "ResourceNotFoundException", "message": "The specified log group does not exist."}, status=404
        )
    try:
        pattern = compile_pattern(request.GET.get("pattern", ""))
    except PatternError as problem:
        return JsonResponse({"code": "InvalidParameterException", "message": str(problem)}, status=400)
    try:
        after = int(request.GET.get("after", "0"))
    except ValueError:
        after = 0
    now = Clock.current(sandbox.pk).now()
    events = ingest.newest_since(group, after=after, pattern=pattern, limit=TAIL_LIMIT, now=now)
    return JsonResponse(
        {
            "events": [
                {"id": event.pk, "stream": event.stream_name, "timestamp": event.timestamp, "message": event.message}
                for event in events
            ],
            "newest": max([after, ingest.newest_id(group)]),
        }
    )
