"""Pages of the activities app."""

from django.contrib import messages
from django.shortcuts import redirect, render

from sentinelle.core.forms import errors_shown_on


def form_page(request, form, write, *, success: str, then, template: str, context: dict):
    """The submit pattern of the edit pages: posted and valid, `write(**cleaned data)` and go to
    `then(written)` (a view name and public id); refused, the page again with the refusal on the form."""
    if request.method == "POST" and form.is_valid():
        with errors_shown_on(form):
            written = write(actor=request.user, request=request, **form.cleaned_data)
            messages.success(request, success)
            return redirect(*then(written))
    return render(request, template, {"form": form, **context})
