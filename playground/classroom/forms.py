"""Forms of the classroom pages: sign up or join with a code, create a classroom, import students,
and drive clocks."""

from __future__ import annotations

from typing import Any

from django import forms

from playground.sandboxes.models import Clock


class JoinForm(forms.Form):
    code = forms.CharField(label="Join code", max_length=32, widget=forms.TextInput(attrs={"autofocus": True}))


class SignupForm(JoinForm):
    username = forms.CharField(max_length=150)
    password = forms.CharField(widget=forms.PasswordInput, max_length=128)
    password_again = forms.CharField(label="Password (again)", widget=forms.PasswordInput, max_length=128)

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if cleaned.get("password") != cleaned.get("password_again"):
            raise forms.ValidationError("The two passwords differ.")
        return cleaned


class ClassroomForm(forms.Form):
    name = forms.CharField(max_length=100)


class ImportForm(forms.Form):
    csv_file = forms.FileField(label="CSV file", required=False)
    csv_text = forms.CharField(label="or paste CSV", widget=forms.Textarea(attrs={"rows": 5}), required=False)

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        upload = cleaned.get("csv_file")
        text = cleaned.get("csv_text") or ""
        if upload is not None:
            if upload.size > 2_000_000:
                raise forms.ValidationError("The CSV file is larger than 2 MB.")
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError("The CSV file is not UTF-8 text.") from None
        if not text.strip():
            raise forms.ValidationError("Choose a CSV file or paste its text.")
        cleaned["text"] = text
        return cleaned


class ClockForm(forms.Form):
    action = forms.ChoiceField(choices=[(name, name) for name in ("pause", "resume", "speed", "advance")])
    speed = forms.FloatField(required=False, min_value=0.001, max_value=Clock.MAX_SPEED)
    seconds = forms.FloatField(required=False, min_value=0, max_value=366 * 86400)

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if cleaned.get("action") == "speed" and not cleaned.get("speed"):
            raise forms.ValidationError("Give the speed.")
        if cleaned.get("action") == "advance" and cleaned.get("seconds") is None:
            raise forms.ValidationError("Give the seconds to advance.")
        return cleaned
