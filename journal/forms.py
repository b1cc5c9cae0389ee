"""Journal forms: they parse what the browser sends; the rules (blank, too long, future, before 1900, mood range)
are the service's, and its ApplicationError comes back onto the form with `add_service_error`."""

from django import forms

from meditrack.errors import ApplicationError

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class EntryForm(forms.Form):
    # Not required here: a blank entry is refused by the service, with its own message.
    text = forms.CharField(
        required=False, strip=False, label="What's on your mind?",
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "Write freely. Only you can see this unless you "
                                                                "share it with your care team."}))
    mood = forms.IntegerField(
        required=False, min_value=1, max_value=10, label="Mood",
        widget=forms.NumberInput(attrs={"type": "range", "min": 1, "max": 10, "step": 1}))
    no_mood = forms.BooleanField(required=False, label="Skip the mood rating")
    written_at = forms.DateTimeField(
        required=False, label="When", input_formats=[DATETIME_LOCAL],
        help_text="Leave empty for now; pick a date and time to add an entry for an earlier day.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL))
    shared_with_care_team = forms.BooleanField(required=False, label="Share with my care team")

    def service_kwargs(self, *, previous_written_at=None) -> dict:
        """The cleaned values as the service's keyword arguments. When editing, a "When" left at the entry's own
        time (which the form shows to the minute) is no change: written_at is None then."""
        data = self.cleaned_data
        mood = None if data["no_mood"] else data["mood"]
        written_at = data["written_at"]
        if written_at and previous_written_at and written_at == previous_written_at.replace(second=0, microsecond=0):
            written_at = None
        return {"text": data["text"], "mood": mood, "written_at": written_at,
                "shared_with_care_team": data["shared_with_care_team"]}

    def add_service_error(self, error: ApplicationError) -> None:
        # The service's field messages are terse ("In the future."); its detail reads better next to the field.
        named = [name for name in (error.fields or {}) if name in self.fields]
        for name in named:
            self.add_error(name, error.detail)
        if not named:
            self.add_error(None, error.detail)


class EntryFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search",
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Words in your entries"}))
    to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword: added here, and placed before "to".
        since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
        self.fields = {"q": self.fields["q"], "from": since, "to": self.fields["to"]}

    def clean(self):
        data = super().clean()
        if data.get("from") and data.get("to") and data["from"] > data["to"]:
            self.add_error("to", "The end of the range is before its start.")
        return data

    def search_kwargs(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {"since": data.get("from"), "until": data.get("to"), "query": data.get("q", "").strip()}

    @property
    def active(self) -> bool:
        return bool(self.is_valid() and any(self.cleaned_data.get(k) for k in ("q", "from", "to")))
