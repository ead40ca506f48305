"""What the callback centre's forms share."""

from django import forms


class MarksInvalid(forms.Form):
    """A field that failed shows red (Bootstrap's is-invalid), next to its message."""

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
