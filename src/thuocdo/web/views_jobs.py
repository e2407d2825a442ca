"""A job's page: what it does, how far it is (done / total, elapsed, remaining), how it
ended, and a retry when it failed or its worker stopped. The page survives a reload: it
reads the job row and the progress kept in the cache, never the request that started it."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from thuocdo.access import access_job
from thuocdo.core.errors import ThuocDoError
from thuocdo.core.models import User
from thuocdo.jobs.models import Job
from thuocdo.jobs.selectors import JobView, job_view
from thuocdo.jobs.services import FILE_TYPES, job_file, job_retry, may_retry
from thuocdo.web.actions import language


def job_url(job: Job) -> str:
    """Where a job is followed: imports have their own page (counts, row errors)."""
    if job.kind == "imports.run":
        return reverse("imports:job", args=[job.pk])
    return reverse("web:job", args=[job.pk])


def _user(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


def _duration(seconds: float | None, english: bool) -> str:
    if seconds is None:
        return "—"
    whole = round(seconds)
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min" if english else f"{hours} giờ {minutes:02d} phút"
    if minutes:
        return f"{minutes} min {secs:02d} s" if english else f"{minutes} phút {secs:02d} giây"
    return f"{secs} s" if english else f"{secs} giây"


def _count(number: int, english: bool) -> str:
    text = f"{number:,}"
    return text if english else text.replace(",", ".")


def status_json(view: JobView, lang: str) -> dict[str, Any]:
    english = lang.startswith("en")
    data = view.as_json()
    data["done_text"] = (
        f"{_count(view.done, english)} / {_count(view.total, english)}" if view.total else "—"
    )
    data["elapsed_text"] = _duration(view.elapsed, english)
    data["remaining_text"] = _duration(view.remaining, english)
    data["status_label"] = str(STATE_LABELS.get(view.state, view.state))
    return data


STATE_LABELS = {
    "queued": gettext_lazy("Đang chờ"),
    "running": gettext_lazy("Đang chạy"),
    "stopped": gettext_lazy("Đã dừng giữa chừng"),
    "done": gettext_lazy("Hoàn tất"),
    "failed": gettext_lazy("Không thành công"),
}


@login_required
@require_GET
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = access_job(request.user, job_id)
    view = job_view(job)
    lang = language(request)
    english = lang.startswith("en")
    return render(
        request,
        "web/job.html",
        {
            "job": job,
            "view": view,
            "status": status_json(view, lang),
            "title": (job.title_en or job.title) if english else job.title,
            "errors": [e.get("message_en" if english else "message_vi", "") for e in job.errors],
            "back": job.params.get("back") or "",
            "summary": job.result.get("summary_en" if english else "summary_vi", ""),
            "notes": job.result.get("notes_en" if english else "notes_vi", []),
            "may_retry": may_retry(_user(request), job),
            "file_name": job.result.get("file_name", ""),
            "file_size": _size(int(job.result.get("file_size") or 0), english),
        },
    )


def _size(size: int, english: bool) -> str:
    if size >= 1024 * 1024:
        text = f"{size / (1024 * 1024):.1f} MB"
    else:
        text = f"{max(1, round(size / 1024))} KB"
    return text if english else text.replace(".", ",")


@login_required
@require_GET
@never_cache
def job_file_view(request: HttpRequest, job_id: int) -> HttpResponse:
    """The file an export job made (xlsx or pdf), as an attachment."""
    job = access_job(request.user, job_id)
    kept = job_file(user=_user(request), job=job)
    extension = kept.name.rsplit(".", 1)[-1].lower()
    response = HttpResponse(
        bytes(kept.data), content_type=FILE_TYPES.get(extension, "application/octet-stream")
    )
    ascii_name = kept.name.encode("ascii", "ignore").decode() or f"job-{job.pk}.{extension}"
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(kept.name)}"
    )
    return response


@login_required
@require_GET
@never_cache
def job_status(request: HttpRequest, job_id: int) -> JsonResponse:
    job = access_job(request.user, job_id)
    return JsonResponse(status_json(job_view(job), language(request)))


@login_required
@require_POST
def job_retry_view(request: HttpRequest, job_id: int) -> HttpResponse:
    job = access_job(request.user, job_id)
    user = _user(request)
    try:
        if user is None:
            raise ThuocDoError("Hãy đăng nhập.", "Sign in first.")
        job = job_retry(actor=user, job=job)
    except ThuocDoError as error:
        messages.error(request, error.message(language(request)))
    else:
        messages.success(request, _("Đã xếp lịch chạy lại."))
    return redirect(job_url(job))
