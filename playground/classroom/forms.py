"""Forms of the classroom pages: sign up or join with a code, create a classroom, import students,
and drive clocks."""

from __future__ import annotations

from typing import Any

from django import forms

from playground.classroom.models import Classroom
from playground.labs.models import ClassroomLabSettings
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


class SettingsForm(forms.ModelForm):
    """The classroom's settings on its dashboard, its lab settings (playground.labs) among them."""

    student_solve = forms.BooleanField(
        label="Students may use a lab's Solve (every use goes into the grades)", required=False
    )

    class Meta:
        model = Classroom
        fields = ["lock_student_clocks", "stuck_minutes", "failing_calls"]
        labels = {
            "lock_student_clocks": "While I pause or speed up the class, students cannot change their own clocks",
            "stuck_minutes": "Stuck after minutes without progress in a lab",
            "failing_calls": "Failing after this many failed calls in a row",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["student_solve"].initial = ClassroomLabSettings.objects.filter(
                classroom=self.instance, student_solve=True
            ).exists()

    def save(self, commit: bool = True) -> Classroom:
        classroom: Classroom = super().save(commit=commit)
        if commit:
            ClassroomLabSettings.objects.update_or_create(
                classroom=classroom, defaults={"student_solve": self.cleaned_data.get("student_solve", False)}
            )
        return classroom


class LabStartForm(forms.Form):
    """Start a lab for the whole class or one student."""

    lab = forms.ChoiceField(label="Lab")
    student = forms.ChoiceField(label="for", required=False)

    def __init__(self, *args: Any, labs: list[tuple[str, str]], students: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lab_field, student_field = self.fields["lab"], self.fields["student"]
        assert isinstance(lab_field, forms.ChoiceField)
        assert isinstance(student_field, forms.ChoiceField)
        lab_field.choices = [(lab_id, f"{lab_id} · {title}") for lab_id, title in labs]
        student_field.choices = [("", "the whole class"), *[(str(pk), name) for pk, name in students]]


class TimerForm(forms.Form):
    """A timed class session: its end, some minutes from now, and what happens then."""

    minutes = forms.IntegerField(label="End the session in (minutes)", min_value=0, max_value=24 * 60, initial=45)
    at_end = forms.ChoiceField(
        label="then", choices=[(Classroom.FREEZE, "freeze the sandboxes"), (Classroom.RESET, "reset the sandboxes")]
    )
