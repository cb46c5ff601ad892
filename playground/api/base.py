"""The base of every REST view."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.views import APIView


class ApiView(APIView):
    """Refuses NUL characters in the path and the query string before anything reads them: a text
    column on PostgreSQL cannot hold one, and the database would answer with an error, not a 400.
    (Request bodies go through serializers, whose text fields refuse NUL already.)"""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        texts = [str(value) for value in kwargs.values()]
        texts += [value for values in request.query_params.lists() for value in values[1]]
        texts += list(request.query_params.keys())
        if any("\x00" in text for text in texts):
            raise ValidationError("NUL characters are not allowed in the path or the query string.")
