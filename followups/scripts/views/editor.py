"""The callback scripts' pages (回访话术): the list, a script with its versions, the draft editor
(the words, the questions: add, change, remove, move), a read-only view of any version, publishing,
and a preview of what the agent sees with a real customer's details.

Everyone of the callback centre reads them; only the DCRC supervisor (the change permissions) edits.
Every form is a plain POST that works without script; the editor comes back to the question edited.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dealer_crm.access import get_for_user, require_perm

from .. import selectors, services, texts
from ..forms import DraftForm, QuestionForm, ScriptForm
from ..models import Question, Script, ScriptVersion

VIEW, VIEW_VERSION = "scripts.view_script", "scripts.view_scriptversion"
ADD_SCRIPT, CHANGE_SCRIPT = "scripts.add_script", "scripts.change_script"
START, EDIT = "scripts.add_scriptversion", "scripts.change_scriptversion"
CUSTOMER_VIEW = "customers.view_customer"


def _get_script_for_user(user, pk: int, *, perm: str = VIEW) -> Script:
    return get_for_user(user, Script.objects.all(), perm=perm, pk=pk)


def _get_version_for_user(user, pk: int, *, perm: str = VIEW_VERSION) -> ScriptVersion:
    require_perm(user, VIEW)
    require_perm(user, perm)
    try:
        return selectors.version_with_questions(version_id=pk)
    except ScriptVersion.DoesNotExist:
        raise Http404 from None


def _get_question_for_user(user, pk: int) -> Question:
    require_perm(user, VIEW)
    require_perm(user, EDIT)
    return get_object_or_404(Question.objects.select_related("version__script"), pk=pk)


def _refused(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _editor_url(version: ScriptVersion, question_id: int | None = None) -> str:
    url = reverse("scripts:draft_edit", args=[version.pk])
    return f"{url}#question-{question_id}" if question_id else url


# --- reading --------------------------------------------------------------------------------------
@require_GET
def script_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, VIEW)
    return render(request, "scripts/script_list.html", {
        "scripts": selectors.scripts_for_list(), "can_add": request.user.has_perm(ADD_SCRIPT),
        "can_edit": request.user.has_perm(EDIT)})


@require_GET
def script_detail(request: HttpRequest, pk: int) -> HttpResponse:
    script = _get_script_for_user(request.user, pk)
    require_perm(request.user, VIEW_VERSION)
    versions = list(selectors.script_versions(script=script))
    return render(request, "scripts/script_detail.html", {
        "script": script, "versions": versions,
        "draft": next((v for v in versions if v.status == ScriptVersion.Status.DRAFT), None),
        "can_start": request.user.has_perm(START), "can_edit": request.user.has_perm(EDIT),
        "can_change_script": request.user.has_perm(CHANGE_SCRIPT)})


@require_GET
def version_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Any version as it was written, read-only (a draft's editor is its own page)."""
    version = _get_version_for_user(request.user, pk)
    return render(request, "scripts/version_detail.html", {
        "version": version, "script": version.script, "questions": version.questions.all(),
        "can_edit": request.user.has_perm(EDIT) and version.status == ScriptVersion.Status.DRAFT})


def _preview_values(request: HttpRequest, version: ScriptVersion) -> tuple[dict, object | None]:
    """The variables of the chosen customer (?customer=id), else of the newest customer with a
    vehicle of the script's brand; made-up ones for a reader who may not see the archive."""
    from customers.models import Customer  # the archive sits below the callback centre

    values = {"store": settings.SMS_STORE_NAME, "agent": request.user.display_name or request.user.get_username()}
    if not request.user.has_perm(CUSTOMER_VIEW):
        return values | {"name": "张", "title": "先生", "plate": "粤A·12345", "model": "科雷嘉"}, None
    customers = Customer.objects.only("id", "name")
    chosen = request.GET.get("customer", "")
    customer = customers.filter(pk=int(chosen)).first() if chosen.isdigit() else None
    if customer is None:
        mine = customers.filter(vehicle_roles__vehicle__brand=version.script.brand) if version.script.brand else customers
        customer = mine.order_by("-id").first() or customers.order_by("-id").first()
    if customer is None:
        return values, None
    from dealer_crm.messaging.selectors import first_recipient_values

    return first_recipient_values(customer_id=customer.pk) | values, customer


@require_GET
def version_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The version as the agent sees it on a call, with a customer's details filled in."""
    version = _get_version_for_user(request.user, pk)
    values, customer = _preview_values(request, version)
    return render(request, "scripts/version_preview.html", {
        "version": version, "script": version.script, "questions": version.questions.all(),
        "opening": texts.fill(version.opening, values), "closing": texts.fill(version.closing, values),
        "customer": customer, "scores": range(services.SCORE_MIN, services.SCORE_MAX + 1)})


# --- the supervisor's changes ------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def script_new(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, ADD_SCRIPT)
    require_perm(request.user, EDIT)
    form = ScriptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            script = services.script_create(key=data["key"], name=data["name"], kind=data["kind"],
                                            brand=data["brand"], by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Script “%(name)s” created: write its questions in draft v1.")
                             % {"name": script.name})
            return redirect(_editor_url(script.versions.get()))
    return render(request, "scripts/script_new.html", {"form": form})


@require_POST
def script_switch(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a script out of use, or into use again."""
    script = _get_script_for_user(request.user, pk, perm=CHANGE_SCRIPT)
    try:
        if request.POST.get("active") == "1":
            services.script_activate(script=script)
            messages.success(request, _("Script “%(name)s” is in use again.") % {"name": script.name})
        else:
            services.script_deactivate(script=script)
            messages.success(request, _("Script “%(name)s” is no longer used for new callbacks.") % {"name": script.name})
    except ValidationError as error:
        _refused(request, error)
    return redirect("scripts:script_detail", pk=script.pk)


@require_POST
def draft_start(request: HttpRequest, pk: int) -> HttpResponse:
    script = _get_script_for_user(request.user, pk, perm=START)
    require_perm(request.user, EDIT)
    try:
        draft = services.script_draft_start(script=script, by=request.user)
    except ValidationError as error:
        _refused(request, error)
        return redirect("scripts:script_detail", pk=script.pk)
    messages.success(request, _("Draft v%(number)s started from the published version.") % {"number": draft.number})
    return redirect(_editor_url(draft))


def _draft_for_editing(request: HttpRequest, pk: int) -> ScriptVersion:
    return _get_version_for_user(request.user, pk, perm=EDIT)


def _editor(request: HttpRequest, version: ScriptVersion, *, words_form: DraftForm | None = None,
            question_form: QuestionForm | None = None, status: int = 200) -> HttpResponse:
    return render(request, "scripts/draft_edit.html", {
        "version": version, "script": version.script, "questions": version.questions.all(),
        "words_form": words_form or DraftForm(instance=version),
        "question_form": question_form or QuestionForm(),
        "variables": list(texts.VARIABLES.items()),
        "problems": services.draft_problems(version=version),
    }, status=status)


@require_http_methods(["GET", "POST"])
def draft_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The draft's editor; a POST saves its opening, closing and note."""
    version = _draft_for_editing(request, pk)
    if version.status != ScriptVersion.Status.DRAFT:
        messages.info(request, _("Version %(number)s is %(status)s and can no longer be changed: this is how it reads.")
                      % {"number": version.number, "status": version.get_status_display()})
        return redirect("scripts:version_detail", pk=version.pk)
    if request.method == "GET":
        return _editor(request, version)
    form = DraftForm(request.POST, instance=version)
    if form.is_valid():
        try:
            services.draft_update(version=version, **{k: form.cleaned_data[k] for k in ("opening", "closing", "note")})
        except ValidationError as error:
            _refused(request, error)
            return redirect("scripts:version_detail", pk=version.pk)
        messages.success(request, _("The opening and closing words are saved."))
        return redirect(_editor_url(version))
    return _editor(request, version, words_form=form, status=400)


@require_POST
def question_add(request: HttpRequest, pk: int) -> HttpResponse:
    version = _draft_for_editing(request, pk)
    form = QuestionForm(request.POST)
    if form.is_valid():
        try:
            question = services.question_add(version=version, **form.service_fields())
        except ValidationError as error:
            if getattr(error, "code", None) == "not_draft":
                _refused(request, error)
                return redirect("scripts:version_detail", pk=version.pk)
            form.add_service_error(error)
        else:
            messages.success(request, _("Question %(number)s added.") % {"number": question.position})
            return redirect(_editor_url(version, question.pk))
    messages.error(request, _("The question was not added: correct what is marked under “Add a question”."))
    return _editor(request, version, question_form=form, status=400)


@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, pk: int) -> HttpResponse:
    question = _get_question_for_user(request.user, pk)
    version = question.version
    if version.status != ScriptVersion.Status.DRAFT:
        messages.error(request, _("Version %(number)s is %(status)s and can no longer be changed: start a new version to edit the script.")
                       % {"number": version.number, "status": version.get_status_display()})
        return redirect("scripts:version_detail", pk=version.pk)
    form = QuestionForm(request.POST or None, initial=QuestionForm.initial_of(question))
    if request.method == "POST" and form.is_valid():
        try:
            services.question_update(question=question, **form.service_fields())
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Question %(number)s saved.") % {"number": question.position})
            return redirect(_editor_url(version, question.pk))
    return render(request, "scripts/question_edit.html", {
        "question": question, "version": version, "script": version.script, "form": form},
        status=400 if request.method == "POST" else 200)


@require_POST
def question_delete(request: HttpRequest, pk: int) -> HttpResponse:
    question = _get_question_for_user(request.user, pk)
    try:
        services.question_delete(question=question)
    except ValidationError as error:
        _refused(request, error)
        return redirect("scripts:version_detail", pk=question.version_id)
    messages.success(request, _("Question %(number)s removed.") % {"number": question.position})
    return redirect(_editor_url(question.version))


@require_POST
def question_move(request: HttpRequest, pk: int) -> HttpResponse:
    question = _get_question_for_user(request.user, pk)
    try:
        services.question_move(question=question, up=request.POST.get("direction") == "up")
    except ValidationError as error:
        _refused(request, error)
        return redirect("scripts:version_detail", pk=question.version_id)
    return redirect(_editor_url(question.version, question.pk))


@require_POST
def draft_publish(request: HttpRequest, pk: int) -> HttpResponse:
    version = _draft_for_editing(request, pk)
    try:
        services.draft_publish(version=version, by=request.user, now=timezone.now())
    except ValidationError as error:
        _refused(request, error)
        if getattr(error, "code", None) == "not_draft":
            return redirect("scripts:version_detail", pk=version.pk)
        return redirect(_editor_url(version))
    messages.success(request, _("Version %(number)s of “%(name)s” is published: new callbacks use it from now on.")
                     % {"number": version.number, "name": version.script.name})
    return redirect("scripts:script_detail", pk=version.script_id)


urlpatterns = [
    path("", script_list, name="script_list"),
    path("new/", script_new, name="script_new"),
    path("<int:pk>/", script_detail, name="script_detail"),
    path("<int:pk>/switch/", script_switch, name="script_switch"),
    path("<int:pk>/draft/", draft_start, name="draft_start"),
    path("versions/<int:pk>/", version_detail, name="version_detail"),
    path("versions/<int:pk>/preview/", version_preview, name="version_preview"),
    path("versions/<int:pk>/edit/", draft_edit, name="draft_edit"),
    path("versions/<int:pk>/questions/", question_add, name="question_add"),
    path("versions/<int:pk>/publish/", draft_publish, name="draft_publish"),
    path("questions/<int:pk>/edit/", question_edit, name="question_edit"),
    path("questions/<int:pk>/delete/", question_delete, name="question_delete"),
    path("questions/<int:pk>/move/", question_move, name="question_move"),
]
