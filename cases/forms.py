"""The admin's spreadsheet-import form: a request, a file, and every check before anything is shown."""

from django import forms
from django.conf import settings

from cases.imports import (
    ImportFileError,
    ImportPlan,
    KeptUpload,
    Spreadsheet,
    import_plan,
    size_display,
    spreadsheet_check_name_and_size,
    spreadsheet_read,
    upload_keep,
)
from cases.models import FoiRequest
from cases.services import ImportRefused, import_duplicate_check


class ImportForm(forms.Form):
    request = forms.ModelChoiceField(
        queryset=FoiRequest.objects.order_by("title"),
        label="FOI request",
        help_text="The request (or study) the returns answer. Add it first if it is new.",
        error_messages={"required": "Choose the FOI request the returns answer."},
    )
    file = forms.FileField(
        label="Spreadsheet",
        # Emptiness is checked below, with the file's name in the message.
        allow_empty_file=True,
        error_messages={"required": "Choose a .csv or .xlsx file to import."},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (
            f"CSV or Excel .xlsx, at most {size_display(settings.IMPORT_MAX_UPLOAD_BYTES)}: one row per "
            "case line, under a row of column names (title and note rows above it are skipped)."
        )
        self.spreadsheet: Spreadsheet | None = None
        self.plan: ImportPlan | None = None
        self._bytes = b""

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            # Name and size first: a file over the cap is never read, let alone parsed.
            spreadsheet_check_name_and_size(name=upload.name, size=upload.size)
            self._bytes = upload.read()
            self.spreadsheet = spreadsheet_read(name=upload.name, data=self._bytes)
            import_duplicate_check(sha256=self.spreadsheet.sha256)
        except (ImportFileError, ImportRefused) as error:
            raise forms.ValidationError(str(error)) from None
        return upload

    def clean(self):
        cleaned = super().clean()
        if self.spreadsheet is not None and cleaned.get("request") is not None:
            self.plan = import_plan(foi_request=cleaned["request"], spreadsheet=self.spreadsheet)
        return cleaned

    def keep_upload(self) -> KeptUpload:
        """Keep the checked file until its preview is confirmed (a file named by a token)."""
        return upload_keep(name=self.spreadsheet.name, data=self._bytes)
