"""Pages Lambda serves itself (under /awslambda/, services/awslambda/urls.py):

/awslambda/sandboxes/<id>/package/?name=lambda_function.py&source=...
    a .zip holding one file, base64 (the GUI's palette and code editor send it to
    CreateFunction / UpdateFunctionCode as ZipFile, as the CLI sends fileb://function.zip);
    changes nothing. The sandbox's owner or an instructor of its classroom; 404 otherwise.
/awslambda/code/<function>/<revision id>
    the function's deployment package: GetFunction's Code.Location. Like AWS's presigned
    link it needs no credentials; the revision id (a random UUID, new on every change) is
    its secret, and it stops working once the function changes.
"""

from __future__ import annotations

import base64
import io
import zipfile

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from playground.sandboxes.access import sandbox_for
from services.awslambda.models import Function

MAX_SOURCE = 64 * 1024


@login_required
@require_GET
def package(request: HttpRequest, sandbox_id: int) -> JsonResponse:
    if sandbox_for(request.user, sandbox_id) is None:
        raise Http404("no such sandbox")
    name = request.GET.get("name", "lambda_function.py").strip() or "lambda_function.py"
    source = request.GET.get("source", "")
    if len(source) > MAX_SOURCE or "/" in name or name.startswith("."):
        return JsonResponse({"code": "InvalidParameterValueException", "message": "The code is too long."}, status=400)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, source)
    return JsonResponse({"zip": base64.b64encode(buffer.getvalue()).decode()})


@require_GET
def code(request: HttpRequest, function_id: int, revision: str) -> HttpResponse:
    function = Function.objects.filter(pk=function_id, revision_id=revision).first()
    if function is None:
        raise Http404("no such package")
    response = HttpResponse(bytes(function.code), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{function.name}.zip"'
    return response
