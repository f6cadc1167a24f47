"""The two steps of attaching a WhatsApp chat export, shared by the public report form and
staff logging a report: thin handlers over incidents.chat, parametrised by a `ChatFlow`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from . import chat
from .forms import ChatExportForm, ChatPickForm


@dataclass(frozen=True)
class ChatFlow:
    """Where one flow keeps its state and where its pages are."""

    scope: str  # whose export it is: a school slug (public) or "staff:<school id>"
    base_template: str
    upload_url: str
    pick_url: str
    remove_url: str
    form_url: str
    context: dict[str, Any]
    # Kept across the pick page's search and paging (staff: which school).
    hidden: dict[str, str] = field(default_factory=dict)

    @property
    def query(self) -> str:
        return "".join(f"{k}={v}&" for k, v in self.hidden.items())

    def state(self, request: HttpRequest) -> dict[str, Any] | None:
        """This flow's export in the server-side session (its token is never in a URL)."""
        state = request.session.get(chat.SESSION_KEY)
        return state if state and state.get("school") == self.scope else None

    def forget(self, request: HttpRequest) -> None:
        chat.chat_discard(state=self.state(request))
        request.session.pop(chat.SESSION_KEY, None)

    def render(self, request: HttpRequest, template: str, extra: dict[str, Any]) -> HttpResponse:
        status = extra.pop("status", 200)
        context = {**self.context, **extra, "flow": self, "context_size": chat.CONTEXT}
        return render(request, template, context, status=status)


def upload(request: HttpRequest, flow: ChatFlow) -> HttpResponse:
    form = ChatExportForm(*((request.POST, request.FILES) if request.method == "POST" else ()))
    if request.method == "POST" and form.is_valid():
        try:
            state = chat.chat_upload(upload=form.cleaned_data["export"])
        except ValidationError as error:
            form.add_error("export", error)
        else:
            flow.forget(request)
            request.session[chat.SESSION_KEY] = {**state, "school": flow.scope}
            return redirect(flow.pick_url)
    return flow.render(request, "public/chat_upload.html", {"form": form})


def pick(request: HttpRequest, flow: ChatFlow) -> HttpResponse:
    state = flow.state(request)
    if state is None:
        return redirect(flow.upload_url)
    if state.get("stage") == "picked":
        messages.info(request, "The messages are attached below. Remove them to pick again.")
        return redirect(flow.form_url)
    form = ChatPickForm(request.POST if request.method == "POST" else None)
    try:
        if request.method == "POST" and form.is_valid():
            try:
                picked = chat.chat_pick(
                    state=state,
                    picked=form.cleaned_data["picked"],
                    reporter=form.cleaned_data["reporter"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                request.session[chat.SESSION_KEY] = picked
                count = picked["picked"]
                messages.success(
                    request,
                    f"{count} message{'s' if count != 1 else ''} attached. The rest of the "
                    "chat has been deleted. Now finish the report.",
                )
                return redirect(flow.form_url)
        page = chat.chat_pick_page(
            state=state, query=request.GET.get("q", ""), page=request.GET.get("page", "")
        )
    except LookupError as error:
        request.session.pop(chat.SESSION_KEY, None)
        messages.error(request, str(error))
        return redirect(flow.upload_url)
    ticked = (
        set(form.cleaned_data.get("picked", [])) if form.is_bound and form.is_valid() else set()
    )
    return flow.render(
        request,
        "public/chat_pick.html",
        {
            "form": form,
            "page": page,
            "ticked": ticked,
            "senders": sorted({m.sender for m in page.messages if m.sender}),
        },
    )


def remove(request: HttpRequest, flow: ChatFlow) -> HttpResponse:
    """Forget the chat export: everything held for it is deleted."""
    flow.forget(request)
    messages.info(request, "The chat export has been removed and deleted.")
    return redirect(flow.form_url)
