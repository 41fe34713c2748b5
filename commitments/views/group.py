"""A compact's implementation group (Nottinghamshire KP3.2–3.3): its members and meetings, and a meeting's pack.

Everyone signed in sees the group and its meetings; the compact's champions and administrators add and remove
members and record meetings; the pack is for those who meet (``selectors.group`` decides each once). A visitor is
asked to sign in; a page someone may not use, or a meeting of another compact, is a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from compact_portal.formatting import long_date
from compact_portal.forms import SERVICE_ERRORS, add_service_errors
from compact_portal.one_time import announce, repeat_of
from compact_portal.pagination import page_of

from ..forms import GroupChairForm, GroupMemberForm, GroupMemberLeaveForm, MeetingForm
from ..models import Compact, GroupMember, Meeting, Side
from ..reporting.pack import pack_name, render_pack
from ..selectors import group as selectors
from ..services import group as services

MEETINGS_PAGE_SIZE = 20


def _group_or_404(request, slug, *, running: bool = False) -> Compact:
    """The compact whose group the person may see (``running``: and run)."""
    try:
        compact = selectors.group_compact(user=request.user, slug=slug)
    except Compact.DoesNotExist:
        raise Http404("No such compact") from None
    if running and not compact.runs_group:
        raise Http404("Only the compact's champions and administrators change its group")
    return compact


def _meeting_or_404(compact, pk) -> Meeting:
    try:
        return selectors.meeting_of(compact=compact, pk=pk)
    except Meeting.DoesNotExist:
        raise Http404("No such meeting") from None


@login_required
def group(request, slug):
    """The group's members by side, the chair first, and its meetings, newest first."""
    compact = _group_or_404(request, slug)
    members = list(selectors.current_members(compact=compact))
    page, query = page_of(request, selectors.meetings_of(compact=compact), per_page=MEETINGS_PAGE_SIZE)
    return render(
        request,
        "commitments/group/group.html",
        {
            "compact": compact,
            "chair": next((member for member in members if member.chair), None),
            "sides": [
                (label, [member for member in members if member.side == value and not member.chair])
                for value, label in Side.choices
            ],
            "former": selectors.former_members(compact=compact)[:20],
            "page_obj": page,
            "query": query,
            "runs_group": compact.runs_group,
            "today": timezone.localdate(),
        },
    )


@login_required
def group_member_add(request, slug):
    compact = _group_or_404(request, slug, running=True)
    today = timezone.localdate()
    form = GroupMemberForm(request.POST or None, compact=compact, today=today)
    if repeat_of(request, form, GroupMember):
        return redirect("commitments:group", slug=compact.slug)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member = services.group_member_add(
                compact=compact,
                actor=request.user,
                name=data["name"],
                side=data["side"],
                user=data["user"],
                organisation=data["organisation"],
                chair=data["chair"],
                joined_on=data["joined_on"],
                today=today,
                submission_key=data.get("submission_key"),
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            announce(request, member, f"{member.name} is now a member of the group{' and its chair' * member.chair}.")
            return redirect("commitments:group", slug=compact.slug)
    return render(
        request,
        "commitments/group/member_add.html",
        {"compact": compact, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def group_member_leave(request, slug, pk):
    compact = _group_or_404(request, slug, running=True)
    member = compact.group_members.filter(pk=pk, left_on__isnull=True).first()
    if member is None:
        raise Http404("No such member of the group")
    today = timezone.localdate()
    form = GroupMemberLeaveForm(request.POST or None, initial={"left_on": today})
    if request.method == "POST" and form.is_valid():
        try:
            services.group_member_leave(
                member=member, actor=request.user, left_on=form.cleaned_data["left_on"], today=today
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{member.name} left the group on {long_date(form.cleaned_data['left_on'])}.")
            return redirect("commitments:group", slug=compact.slug)
    return render(
        request,
        "commitments/group/member_leave.html",
        {"compact": compact, "member": member, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def group_chair(request, slug):
    compact = _group_or_404(request, slug, running=True)
    chair = compact.group_members.filter(chair=True, left_on__isnull=True).first()
    form = GroupChairForm(request.POST or None, compact=compact, initial={"chair": chair})
    if request.method == "POST" and form.is_valid():
        try:
            new_chair = services.group_chair_change(
                compact=compact, actor=request.user, member=form.cleaned_data["chair"], today=timezone.localdate()
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"{new_chair.name} chairs the group from today." if new_chair else "The group has no chair for now.",
            )
            return redirect("commitments:group", slug=compact.slug)
    return render(
        request,
        "commitments/group/chair.html",
        {"compact": compact, "chair": chair, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def meeting_record(request, slug):
    compact = _group_or_404(request, slug, running=True)
    today = timezone.localdate()
    form = MeetingForm(request.POST or None, compact=compact)
    if meeting := repeat_of(request, form, Meeting):
        return redirect(meeting)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.meeting_record(
                compact=compact,
                actor=request.user,
                held_on=data["held_on"],
                notes=data["notes"],
                decisions=data["decisions"],
                actions_reviewed=data["actions_reviewed"],
                today=today,
                submission_key=data.get("submission_key"),
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            announce(request, meeting, f"The meeting of {long_date(meeting.held_on)} is recorded.")
            return redirect(meeting)
    return render(
        request,
        "commitments/group/meeting_form.html",
        {"compact": compact, "form": form, "meeting": None},
        status=400 if form.errors else 200,
    )


@login_required
def meeting_detail(request, slug, pk):
    """A meeting: its notes, decisions and the actions it reviewed, and its pack for those who meet."""
    compact = _group_or_404(request, slug)
    meeting = _meeting_or_404(compact, pk)
    today = timezone.localdate()
    return render(
        request,
        "commitments/group/meeting_detail.html",
        {
            "compact": compact,
            "meeting": meeting,
            "previous": selectors.previous_meeting(meeting),
            "runs_group": compact.runs_group,
            "has_pack": selectors.may_have_pack(user=request.user, compact=compact),
            "period": selectors.pack_period(meeting, today=today),
            "to_come": meeting.held_on > today,
        },
    )


@login_required
def meeting_update(request, slug, pk):
    compact = _group_or_404(request, slug, running=True)
    meeting = _meeting_or_404(compact, pk)
    initial = {
        "held_on": meeting.held_on,
        "notes": meeting.notes,
        "decisions": meeting.decisions,
        "actions_reviewed": list(meeting.actions_reviewed.all()),
    }
    form = MeetingForm(request.POST or None, compact=compact, initial=initial, submit="Save the meeting")
    form.fields.pop("submission_key", None)  # a change, not a new record: saving it twice changes nothing more
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.meeting_update(
                meeting=meeting,
                actor=request.user,
                held_on=data["held_on"],
                notes=data["notes"],
                decisions=data["decisions"],
                actions_reviewed=data["actions_reviewed"],
                today=timezone.localdate(),
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The meeting is saved.")
            return redirect(meeting)
    return render(
        request,
        "commitments/group/meeting_form.html",
        {"compact": compact, "form": form, "meeting": meeting},
        status=400 if form.errors else 200,
    )


@login_required
def meeting_pack(request, slug, pk):
    """The meeting's pack as a PDF, drawn now (a second or so): for the group's members, champions and
    administrators."""
    compact = _group_or_404(request, slug)
    if not selectors.may_have_pack(user=request.user, compact=compact):
        raise Http404("The pack is for the group's members, the compact's champions and administrators")
    meeting = _meeting_or_404(compact, pk)
    rendered = render_pack(meeting=meeting, today=timezone.localdate(), requested_by=request.user.get_full_name())
    response = HttpResponse(rendered.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pack_name(meeting)}"'
    # As every download of permission-checked content (compact_portal.uploads.attachment_response).
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    response["Cache-Control"] = "private"
    return response
