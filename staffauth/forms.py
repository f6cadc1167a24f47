from allauth.mfa.webauthn.forms import AddWebAuthnForm


class AddPasskeyForm(AddWebAuthnForm):
    """allauth's form with our words: a passkey signs in on its own unless the user says not."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("initial", {}).setdefault("name", "")
        super().__init__(*args, **kwargs)
        self.fields["name"].label = "Name (e.g. Work laptop)"
        self.fields["passwordless"].initial = True
        self.fields["passwordless"].label = "Passwordless: sign in with this passkey alone"
        self.fields[
            "passwordless"
        ].help_text = (
            "The device checks it is you (fingerprint, face or PIN), so it counts as both factors."
        )
