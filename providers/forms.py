from __future__ import annotations

from django import forms

from providers.models import ProviderConnection
from providers.registry import get_spec
from providers.services import BASE_URL_MAX_LENGTH, credential_max_length


class WriteOnlyTextarea(forms.Textarea):
    """Never renders a value back, not even the one just submitted with an error."""

    def format_value(self, value):
        return None


def parse_credential_lines(text: str) -> dict[str, str]:
    """NAME=VALUE, one per line (blank lines ignored). Raises ValueError on a bad line,
    without echoing it: the line may hold a secret."""
    credentials = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"Line {number} is not NAME=VALUE.")
        credentials[name.strip()] = value.strip()
    return credentials


class ConnectionForm(forms.Form):
    """Add a connection, or rotate its secrets. Secret inputs are write-only: they are
    never rendered back, and a blank one keeps the stored value."""

    mode = forms.ChoiceField(choices=ProviderConnection.Mode.choices)
    base_url = forms.URLField(label="Base URL", max_length=BASE_URL_MAX_LENGTH, assume_scheme="https")

    def __init__(self, *args, provider: str, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        spec = get_spec(provider)  # the provider comes from the URL or the connection
        if editing:
            self.fields["mode"].disabled = True
        for name in spec.credential_names:
            required = name in spec.required_credentials and not editing
            help_text = "Leave blank to keep the stored value." if editing else ""
            if name not in spec.required_credentials:
                help_text = f"Optional. {help_text}".strip()
            self.fields[f"credential_{name}"] = forms.CharField(
                label=name.replace("_", " ").capitalize(),
                required=required,
                strip=True,
                max_length=credential_max_length(name),
                help_text=help_text,
                widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
            )

    def credentials(self) -> dict[str, str]:
        return {
            key.removeprefix("credential_"): value
            for key, value in self.cleaned_data.items()
            if key.startswith("credential_") and value
        }
