"""The administrator's page of failed and stuck deliveries: what, to whom, how many tries, the error —
titles only, never content — and a button to try again (journaled)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from halte.access import policy
from halte.access.policy import Capability
from halte.audit.journal import record_request
from halte.audit.models import Action as AuditAction

from . import queue
from .models import Job

PAGE_SIZE = 200


@policy.requires(Capability.SUPERVISE_DELIVERIES)
def troubles(request):
    jobs = list(
        queue.troubled().only(
            "public_id",
            "task",
            "title",
            "recipient",
            "status",
            "attempts",
            "max_attempts",
            "run_after",
            "leased_until",
            "last_error",
            "created_at",
            "finished_at",
        )[:PAGE_SIZE]
    )
    context = {
        "jobs": jobs,
        "failed_count": Job.objects.filter(status=Job.Status.FAILED).count(),
        "last_tick": queue.last_beat("tick"),
        "last_worker": queue.last_beat("worker"),
        "oldest_ready": queue.oldest_ready_age(),
    }
    return render(request, "delivery/troubles.html", context)


@policy.requires(Capability.SUPERVISE_DELIVERIES)
@require_POST
def retry(request, public_id):
    job = get_object_or_404(Job, public_id=public_id)
    if queue.retry(job):
        record_request(AuditAction.ADMIN_CHANGE, request, target=job, detail={"delivery": "retry", "task": job.task})
        messages.success(request, _("Envoi « %(title)s » remis dans la file.") % {"title": job.title})
    else:
        messages.info(request, _("Cet envoi n’est plus en échec ni bloqué : rien à relancer."))
    return redirect("delivery:troubles")
