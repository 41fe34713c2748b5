"""A compact's implementation group (Nottinghamshire KP3.2–3.3): its members from both sides with one chair, a
Compact champion of the compact; its meetings with their notes, decisions and the actions each reviewed; and a
meeting's pack, a PDF read back with pypdf.

Everyone signed in sees the group and its meetings; the compact's champions and administrators run it; the pack is
for the group's members, champions and administrators.
"""

import datetime
import io
import re
import uuid

import pypdf
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from commitments import waiting
from commitments.models import ActionStatus, FlagStatus, GroupMember, Meeting, Objective, PlanAction, Side
from commitments.reporting.pack import meeting_pack, render_pack
from commitments.selectors import group as selectors
from commitments.services import champion_appoint
from commitments.services import group as services
from compact_portal import worklist
from compact_portal.accounts.roles import Role
from tests.accounts.factories import MembershipFactory
from tests.commitments.factories import FlagFactory, SignatureFactory
from tests.disputes.factories import ConcernFactory

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2027, 3, 10)


def pdf_text(data: bytes) -> str:
    """The PDF's text, its line breaks and runs of spaces made single spaces."""
    pages = pypdf.PdfReader(io.BytesIO(data)).pages
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in pages))


@pytest.fixture
def compact(portsmouth, council, charity, champion):
    SignatureFactory(compact=portsmouth, organisation=council)
    SignatureFactory(compact=portsmouth, organisation=charity)
    champion_appoint(compact=portsmouth, organisation=council, user=champion, appointed_on=D(2026, 1, 5))
    return portsmouth


@pytest.fixture
def other_compact(compacts):
    return compacts["leicestershire"]


@pytest.fixture
def other_champion(other_compact, council):
    """A champion of another compact."""
    user = MembershipFactory(organisation=council, role=Role.CHAMPION, user__full_name="Oona Otherchamp").user
    champion_appoint(compact=other_compact, organisation=council, user=user, appointed_on=D(2026, 1, 5))
    return user


def action_of(compact, what="Publish the compact's annual report", *, number="1", **fields) -> PlanAction:
    objective, _ = Objective.objects.get_or_create(compact=compact, number=number, defaults={"title": "Awareness"})
    return PlanAction.objects.create(
        objective=objective, what=what, lead_group="The champions' group", **{"due_date": D(2027, 1, 31)} | fields
    )


def add(compact, actor, **fields) -> GroupMember:
    """Add a member as of ``today`` (TODAY unless given), joined on 4 January 2027 (or on ``today`` if earlier)."""
    today = fields.pop("today", TODAY)
    return services.group_member_add(
        compact=compact, actor=actor, **{"joined_on": min(D(2027, 1, 4), today), "today": today} | fields
    )


# --- Members ---------------------------------------------------------------------------------------------------


def test_members_come_from_both_sides_with_the_organisations_side(compact, champion, council, charity, vcs_member):
    chair = add(compact, champion, user=champion, organisation=council, chair=True)
    member = add(compact, champion, user=vcs_member, organisation=charity)
    named = add(compact, champion, name="  A tenants' association  ", side=Side.VCS)
    assert (chair.name, chair.side, chair.chair) == ("Cara Champion", Side.PUBLIC, True)
    assert (member.name, member.side) == ("Val Member", Side.VCS)
    assert (named.name, named.user) == ("A tenants' association", None)
    assert chair.history.first().history_user == champion


def test_a_members_side_is_their_organisations(compact, champion, council):
    with pytest.raises(ValidationError) as refused:
        add(compact, champion, name="Someone", organisation=council, side=Side.VCS)
    assert refused.value.message_dict["side"] == ["Portsmouth City Council is on the public body side."]


@pytest.mark.parametrize(
    ("who", "refusal"),
    [
        ("champion", None),
        ("other_champion", services.CHAIR_NOT_CHAMPION),  # a champion, of another compact
        ("officer", services.CHAIR_NOT_CHAMPION),
        (None, services.CHAIR_WITHOUT_ACCOUNT),
    ],
)
def test_the_chair_is_a_champion_of_the_compact(request, compact, champion, council, who, refusal):
    user = request.getfixturevalue(who) if who else None
    fields = {"user": user, "organisation": council, "chair": True, "name": "" if user else "A chair"}
    if refusal is None:
        assert add(compact, champion, **fields).chair
    else:
        with pytest.raises(ValidationError) as refused:
            add(compact, champion, **fields)
        assert refused.value.message_dict["chair"] == [refusal]
        assert not compact.group_members.exists()


def test_one_chair_at_a_time(compact, champion, council, administrator):
    champion_appoint(compact=compact, organisation=council, user=administrator, appointed_on=D(2026, 1, 5))
    first = add(compact, champion, user=champion, chair=True, organisation=council)
    with pytest.raises(ValidationError) as refused:
        add(compact, champion, user=administrator, chair=True, organisation=council)
    assert refused.value.message_dict["chair"] == [services.ONE_CHAIR]
    services.group_member_leave(member=first, actor=champion, left_on=D(2027, 3, 1), today=TODAY)
    assert add(compact, champion, user=administrator, chair=True, organisation=council).chair


def test_the_chair_is_handed_to_another_champion_and_the_first_stays_a_member(
    compact, champion, council, administrator, vcs_member, charity
):
    champion_appoint(compact=compact, organisation=council, user=administrator, appointed_on=D(2026, 1, 5))
    first = add(compact, champion, user=champion, chair=True, organisation=council)
    second = add(compact, champion, user=administrator, organisation=council)
    assert (first.chair_since, second.chair_since) == (D(2027, 1, 4), None)

    services.group_chair_change(compact=compact, actor=champion, member=second, today=TODAY)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.chair, first.chair_since, first.left_on) == (False, None, None)
    assert (second.chair, second.chair_since) == (True, TODAY)
    assert second.history.first().history_user == champion

    services.group_chair_change(compact=compact, actor=champion, member=None, today=TODAY)
    assert not compact.group_members.filter(chair=True).exists()
    assert compact.group_members.filter(left_on__isnull=True).count() == 2


@pytest.mark.parametrize(
    ("who", "refusal"),
    [
        ("vcs_member", services.CHAIR_NOT_CHAMPION),
        ("named", services.CHAIR_WITHOUT_ACCOUNT),
        ("former", "is not a member of the group now"),
        ("other_compacts", "is not a member of the group now"),
    ],
)
def test_only_a_current_member_who_is_a_champion_of_the_compact_takes_the_chair(
    compact, other_compact, other_champion, champion, council, charity, vcs_member, who, refusal
):
    chair = add(compact, champion, user=champion, chair=True, organisation=council)
    member = {
        "vcs_member": lambda: add(compact, champion, user=vcs_member, organisation=charity),
        "named": lambda: add(compact, champion, name="A tenants' association", side=Side.VCS),
        "former": lambda: services.group_member_leave(
            member=add(compact, champion, user=vcs_member, organisation=charity), actor=champion, left_on=TODAY,
            today=TODAY,
        ),
        "other_compacts": lambda: add(other_compact, other_champion, user=other_champion, organisation=council),
    }[who]()  # fmt: skip

    with pytest.raises(ValidationError, match=refusal):
        services.group_chair_change(compact=compact, actor=champion, member=member, today=TODAY)

    chair.refresh_from_db()
    assert chair.chair


def test_only_those_who_run_the_group_change_its_chair(compact, champion, council, officer):
    chair = add(compact, champion, user=champion, chair=True, organisation=council)
    with pytest.raises(PermissionDenied):
        services.group_chair_change(compact=compact, actor=officer, member=None, today=TODAY)
    chair.refresh_from_db()
    assert chair.chair


def test_the_chair_page_offers_the_members_who_are_champions_and_saves_the_choice(
    client_for, compact, champion, council, administrator, vcs_member, charity
):
    champion_appoint(compact=compact, organisation=council, user=administrator, appointed_on=D(2026, 1, 5))
    add(compact, champion, user=champion, chair=True, organisation=council, today=timezone.localdate())
    second = add(compact, champion, user=administrator, organisation=council, today=timezone.localdate())
    add(compact, champion, user=vcs_member, organisation=charity, today=timezone.localdate())
    client = client_for("champion")
    url = reverse("commitments:group_chair", args=[compact.slug])

    page = client.get(url).content.decode()
    assert "Cara Champion, Portsmouth City Council" in page
    assert "Ada Admin, Portsmouth City Council" in page
    assert "Val Member" not in page  # not a champion of the compact
    assert f'href="{url}"' in client.get(reverse("commitments:group", args=[compact.slug])).content.decode()

    response = client.post(url, {"chair": second.pk})

    assert response.status_code == 302
    second.refresh_from_db()
    assert (second.chair, second.chair_since) == (True, timezone.localdate())
    group = client.get(reverse("commitments:group", args=[compact.slug])).content.decode()
    assert "Ada Admin chairs the group from today." in group


def test_a_person_is_a_current_member_once(compact, champion, vcs_member, charity):
    member = add(compact, champion, user=vcs_member, organisation=charity)
    with pytest.raises(ValidationError, match="already a member"):
        add(compact, champion, user=vcs_member, organisation=charity)
    services.group_member_leave(member=member, actor=champion, left_on=TODAY, today=TODAY)
    assert add(compact, champion, user=vcs_member, organisation=charity, joined_on=TODAY).pk != member.pk


@pytest.mark.parametrize(
    ("joined_on", "ok"), [(TODAY, True), (TODAY + datetime.timedelta(days=1), False)], ids=["today", "tomorrow"]
)
def test_a_member_joins_on_or_before_today(compact, champion, joined_on, ok):
    if ok:
        assert add(compact, champion, name="A", side=Side.VCS, joined_on=joined_on)
    else:
        with pytest.raises(ValidationError, match="on or before today"):
            add(compact, champion, name="A", side=Side.VCS, joined_on=joined_on)


@pytest.mark.parametrize(
    ("left_on", "refusal"),
    [
        (D(2027, 1, 3), "cannot leave before that"),  # the day before joining
        (D(2027, 1, 4), None),  # the day of joining
        (TODAY, None),
        (TODAY + datetime.timedelta(days=1), "on or before today"),
    ],
)
def test_a_member_leaves_between_joining_and_today(compact, champion, left_on, refusal):
    member = add(compact, champion, name="A", side=Side.VCS)
    if refusal is None:
        assert services.group_member_leave(member=member, actor=champion, left_on=left_on, today=TODAY).left_on
    else:
        with pytest.raises(ValidationError, match=refusal):
            services.group_member_leave(member=member, actor=champion, left_on=left_on, today=TODAY)


def test_a_member_leaves_once(compact, champion):
    member = add(compact, champion, name="A", side=Side.VCS)
    services.group_member_leave(member=member, actor=champion, left_on=TODAY, today=TODAY)
    with pytest.raises(ValidationError, match="left the group on 10 March 2027"):
        services.group_member_leave(member=member, actor=champion, left_on=TODAY, today=TODAY)


@pytest.mark.parametrize(
    ("who", "may"),
    [("champion", True), ("administrator", True), ("officer", False), ("vcs_member", False), ("other_champion", False)],
)
def test_only_champions_and_administrators_run_the_group(request, compact, who, may):
    actor = request.getfixturevalue(who)
    if may:
        member = add(compact, actor, name="A", side=Side.VCS)
        services.group_member_leave(member=member, actor=actor, left_on=TODAY, today=TODAY)
        services.meeting_record(compact=compact, actor=actor, held_on=TODAY, today=TODAY)
    else:
        with pytest.raises(PermissionDenied):
            add(compact, actor, name="A", side=Side.VCS)
        with pytest.raises(PermissionDenied):
            services.meeting_record(compact=compact, actor=actor, held_on=TODAY, today=TODAY)
        assert not compact.group_members.exists()
        assert not compact.meetings.exists()


# --- Meetings --------------------------------------------------------------------------------------------------


def test_a_meeting_records_its_notes_decisions_and_the_actions_it_reviewed(compact, champion):
    first, second = action_of(compact), action_of(compact, "Hold a Compact week")
    meeting = services.meeting_record(
        compact=compact,
        actor=champion,
        held_on=D(2027, 3, 2),
        notes=" The group met at the Guildhall. ",
        decisions="The champions write to every funder.",
        actions_reviewed=[first, second],
        today=TODAY,
    )
    assert meeting.notes == "The group met at the Guildhall."
    assert set(meeting.actions_reviewed.all()) == {first, second}
    assert (meeting.recorded_by, meeting.history.first().history_user) == (champion, champion)


def test_a_meeting_reviews_only_its_own_compacts_actions(compact, other_compact, champion):
    with pytest.raises(ValidationError) as refused:
        services.meeting_record(
            compact=compact, actor=champion, held_on=TODAY, actions_reviewed=[action_of(other_compact)], today=TODAY
        )
    assert refused.value.message_dict["actions_reviewed"] == ["A meeting reviews only its own compact's actions."]
    assert not Meeting.objects.exists()


@pytest.mark.parametrize(
    ("days_ahead", "notes", "refusal"),
    [
        (0, "Met.", None),
        (1, "", None),  # still to come, with its day alone: its pack can be prepared
        (1, "Met.", "no notes, decisions or actions reviewed yet"),
        (366, "", None),
        (367, "", "at most a year ahead"),
    ],
)
def test_a_meeting_to_come_has_its_day_alone(compact, champion, days_ahead, notes, refusal):
    held_on = TODAY + datetime.timedelta(days=days_ahead)
    record = {"compact": compact, "actor": champion, "held_on": held_on, "notes": notes, "today": TODAY}
    if refusal is None:
        assert services.meeting_record(**record).held_on == held_on
    else:
        with pytest.raises(ValidationError, match=refusal):
            services.meeting_record(**record)


def test_a_meeting_sent_twice_is_recorded_once(compact, champion):
    key = uuid.uuid4()
    first = services.meeting_record(compact=compact, actor=champion, held_on=TODAY, today=TODAY, submission_key=key)
    again = services.meeting_record(compact=compact, actor=champion, held_on=TODAY, today=TODAY, submission_key=key)
    assert again.pk == first.pk
    assert again.already_recorded
    assert compact.meetings.count() == 1


def test_a_meeting_is_filled_in_once_held(compact, champion):
    action = action_of(compact)
    meeting = services.meeting_record(compact=compact, actor=champion, held_on=D(2027, 3, 20), today=TODAY)
    later = D(2027, 3, 21)
    services.meeting_update(
        meeting=meeting,
        actor=champion,
        held_on=D(2027, 3, 20),
        notes="Met.",
        decisions="Agreed.",
        actions_reviewed=[action],
        today=later,
    )
    meeting.refresh_from_db()
    assert (meeting.notes, list(meeting.actions_reviewed.all())) == ("Met.", [action])


# --- Pages -----------------------------------------------------------------------------------------------------


def group_url(compact) -> str:
    return reverse("commitments:group", args=[compact.slug])


@pytest.fixture
def held(compact, champion):
    """A meeting held a week ago that reviewed two actions."""
    today = timezone.localdate()
    first = action_of(compact, due_date=today - datetime.timedelta(days=30))
    second = action_of(compact, "Hold a Compact week", due_date=today + datetime.timedelta(days=30))
    return services.meeting_record(
        compact=compact,
        actor=champion,
        held_on=today - datetime.timedelta(days=7),
        notes="Matrix notes: the council's grants team attended.",
        decisions="The champions write to every funder.",
        actions_reviewed=[first, second],
        today=today,
    )


def test_visitors_are_asked_to_sign_in(client, compact, held):
    for url in (group_url(compact), held.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("who", ["officer", "vcs_member", "panel_member", "outsider", "champion", "administrator"])
def test_everyone_signed_in_sees_the_group_and_its_meetings(client_for, compact, held, who, champion, council):
    add(compact, champion, user=champion, organisation=council, chair=True, today=timezone.localdate())
    client = client_for(who)
    page = client.get(group_url(compact)).content.decode()
    assert "Chair: <strong>Cara Champion</strong>, Portsmouth City Council" in page
    assert held.get_absolute_url() in page
    assert ("Record a meeting" in page) == (who in ("champion", "administrator"))
    meeting = client.get(held.get_absolute_url()).content.decode()
    assert "Matrix notes: the council&#x27;s grants team attended." in meeting
    assert "The champions write to every funder." in meeting
    for action in held.actions_reviewed.all():
        assert action.get_absolute_url() in meeting
    assert ("Download the meeting pack" in meeting) == (who in ("champion", "administrator"))


@pytest.mark.parametrize("name", ["group_member_add", "group_chair", "meeting_record"])
@pytest.mark.parametrize("who", ["officer", "vcs_member", "outsider"])
def test_the_forms_do_not_exist_for_those_who_do_not_run_the_group(client_for, compact, name, who):
    client = client_for(who)
    url = reverse(f"commitments:{name}", args=[compact.slug])
    assert client.get(url).status_code == 404
    assert (
        client.post(url, {"held_on": "2027-01-01", "name": "X", "side": "vcs", "joined_on": "2027-01-01"}).status_code
        == 404
    )
    assert not compact.meetings.exists()
    assert not compact.group_members.exists()


def test_pages_of_no_such_compact_or_meeting_are_404(client_for, compact, other_compact, held, champion):
    client = client_for("champion")
    other = services.meeting_record(
        compact=other_compact, actor=MembershipFactory(role=Role.ADMINISTRATOR).user, held_on=TODAY, today=TODAY
    )
    for url in (
        reverse("commitments:group", args=["no-such-compact"]),
        reverse("commitments:meeting_detail", args=[compact.slug, other.pk]),  # another compact's meeting
        reverse("commitments:meeting_detail", args=[other_compact.slug, held.pk]),
        reverse("commitments:meeting_detail", args=[compact.slug, 999999]),
        reverse("commitments:meeting_update", args=[compact.slug, other.pk]),
        reverse("commitments:meeting_pack", args=[compact.slug, other.pk]),
        reverse("commitments:group_member_leave", args=[compact.slug, 999999]),
    ):
        assert client.get(url).status_code == 404, url


def test_a_champion_adds_a_member_and_the_chair(client_for, compact, champion, council):
    client = client_for("champion")
    url = reverse("commitments:group_member_add", args=[compact.slug])
    form = client.get(url).context["form"]
    data = {
        "submission_key": form.initial["submission_key"],
        "user": champion.pk,
        "organisation": council.pk,
        "chair": "on",
        "joined_on": timezone.localdate().isoformat(),
    }
    response = client.post(url, data)
    assert response.status_code == 302
    assert response.url == group_url(compact)
    assert client.post(url, data).status_code == 302  # sent again: nothing added twice
    member = compact.group_members.get()
    assert (member.name, member.chair, member.side) == ("Cara Champion", True, Side.PUBLIC)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "", "side": "vcs"}, "name", "Give the member's name, or choose the person."),
        ({"name": "A", "side": ""}, "side", "Choose the member's organisation or side."),
        ({"name": "A", "side": "vcs", "chair": "on"}, "chair", services.CHAIR_WITHOUT_ACCOUNT),
        ({"name": "A", "side": "vcs", "joined_on": "20277-01-01"}, "joined_on", "Enter a valid date."),
        ({"name": "A", "side": "nonsense"}, "side", "Select a valid choice."),
        ({"name": "A", "side": "vcs", "user": "999999"}, "user", "Select a valid choice."),
    ],
)
def test_bad_members_are_refused_on_the_form(client_for, compact, data, field, message):
    client = client_for("champion")
    url = reverse("commitments:group_member_add", args=[compact.slug])
    response = client.post(url, {"joined_on": timezone.localdate().isoformat()} | data)
    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors[field])
    assert response.context["form"].data["name"] == data["name"]  # shown again with what was typed
    assert not compact.group_members.exists()


def test_a_member_leaves_through_the_page(client_for, compact, champion):
    member = add(compact, champion, name="A", side=Side.VCS, today=timezone.localdate())
    client = client_for("champion")
    url = reverse("commitments:group_member_leave", args=[compact.slug, member.pk])
    assert client.post(url, {"left_on": "2027-01-03"}).status_code == 400  # before joining
    assert client.post(url, {"left_on": timezone.localdate().isoformat()}).status_code == 302
    member.refresh_from_db()
    assert member.left_on == timezone.localdate()
    assert client.get(url).status_code == 404  # no longer a current member


def test_a_champion_records_a_meeting_with_its_actions(client_for, compact, other_compact):
    client = client_for("champion")
    url = reverse("commitments:meeting_record", args=[compact.slug])
    own, others = action_of(compact), action_of(other_compact)
    form = client.get(url).context["form"]
    day = timezone.localdate().isoformat()
    bad = client.post(url, {"held_on": day, "actions_reviewed": [own.pk, others.pk], "notes": "Met."})
    assert bad.status_code == 400
    assert "actions_reviewed" in bad.context["form"].errors
    assert "Met." in bad.content.decode()
    response = client.post(
        url,
        {
            "held_on": day,
            "notes": "Met.",
            "actions_reviewed": [own.pk],
            "submission_key": form.initial["submission_key"],
        },
    )
    meeting = compact.meetings.get()
    assert response.url == meeting.get_absolute_url()
    assert list(meeting.actions_reviewed.all()) == [own]


def test_a_champion_changes_a_meeting(client_for, compact, held):
    client = client_for("champion")
    url = reverse("commitments:meeting_update", args=[compact.slug, held.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"held_on": held.held_on.isoformat(), "notes": "Changed.", "decisions": ""})
    assert response.status_code == 302
    held.refresh_from_db()
    assert (held.notes, held.actions_reviewed.count()) == ("Changed.", 0)
    assert client.post(url, {"held_on": "not a date"}).status_code == 400


def test_the_meeting_list_takes_the_same_queries_however_many_meetings(client_for, compact, champion):
    client = client_for("vcs_member")
    action = action_of(compact)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(group_url(compact)).status_code == 200
        return len(captured)

    for n in range(2):
        meeting = services.meeting_record(
            compact=compact, actor=champion, held_on=TODAY - datetime.timedelta(days=n), today=TODAY
        )
        meeting.actions_reviewed.add(action)
        add(compact, champion, name=f"Member {n}", side=Side.VCS)
    few = queries()
    for n in range(2, 30):
        services.meeting_record(
            compact=compact, actor=champion, held_on=TODAY - datetime.timedelta(days=n), today=TODAY
        ).actions_reviewed.add(action)
        add(compact, champion, name=f"Member {n}", side=Side.PUBLIC)
    assert queries() == few


# --- The pack --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [("champion", 200), ("administrator", 200), ("member", 200), ("vcs_member", 404), ("other_champion", 404)],
)
def test_the_pack_is_for_those_who_meet(client, compact, held, champion, vcs_member, charity, request, who, status):
    member = MembershipFactory(organisation=charity, role=Role.VCS_MEMBER, user__full_name="Mo Member").user
    add(compact, champion, user=member, organisation=charity, today=timezone.localdate())
    client.force_login(member if who == "member" else request.getfixturevalue(who))
    response = client.get(reverse("commitments:meeting_pack", args=[compact.slug, held.pk]))
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "application/pdf"
        assert "portsmouth-implementation-group-pack-" in response["Content-Disposition"]
        assert pdf_text(response.content).startswith("Implementation group meeting pack")


@pytest.fixture
def story(compact, champion, council, charity, vcs_member):
    """Meetings on 12 January and 9 March 2027; flags raised before and after the first; an action late since
    31 January, one due later and one done; a concern about the council still open."""
    first = services.meeting_record(compact=compact, actor=champion, held_on=D(2027, 1, 12), today=TODAY)
    second = services.meeting_record(compact=compact, actor=champion, held_on=D(2027, 3, 9), today=TODAY)
    FlagFactory(compact=compact, organisation=council, record_label="BEFORE0001", first_detected=D(2027, 1, 5))
    FlagFactory(compact=compact, organisation=council, record_label="SINCE0001", first_detected=D(2027, 2, 1))
    FlagFactory(
        compact=compact,
        organisation=council,
        record_label="PUTRIGHT01",
        first_detected=D(2027, 2, 2),
        status=FlagStatus.RESOLVED,
    )
    action_of(compact, "Publish the compact's annual report", due_date=D(2027, 1, 31))
    action_of(compact, "Hold a Compact week", due_date=D(2027, 6, 30))
    action_of(
        compact, "Train the grants team", due_date=D(2027, 1, 15), status=ActionStatus.DONE, done_on=D(2027, 1, 14)
    )
    ConcernFactory(actor=vcs_member, raiser=charity, compact=compact, respondent=council)
    return first, second


def test_the_pack_lists_what_happened_since_the_last_meeting(story):
    first, second = story
    pack = meeting_pack(meeting=second, today=TODAY)
    assert (pack.period.start, pack.period.end) == (D(2027, 1, 12), D(2027, 3, 9))
    assert [row[3] for row in pack.new_flags.rows] == ["SINCE0001"]
    assert [row[1] for row in pack.late_actions.rows] == ["Publish the compact's annual report"]
    assert pack.late_actions.rows[0][4] == "38 days"  # late on 10 March
    assert pack.plan == "Action plan: 1 done, 0 on track, 1 late"
    assert [row[:2] for row in pack.open_concerns.rows] == [["Received", 1]]
    assert pack.headline.rows  # the dashboard's headline figures


def test_the_first_meetings_pack_looks_back_three_months(story):
    first, _ = story
    pack = meeting_pack(meeting=first, today=TODAY)
    assert (pack.period.start, pack.period.end) == (D(2026, 10, 12), D(2027, 1, 12))
    assert [row[3] for row in pack.new_flags.rows] == ["BEFORE0001"]
    assert "three months" in pack.since


def test_the_pack_of_a_meeting_to_come_runs_to_today(compact, champion, story):
    to_come = services.meeting_record(compact=compact, actor=champion, held_on=D(2027, 4, 1), today=TODAY)
    assert meeting_pack(meeting=to_come, today=TODAY).period.end == TODAY


def test_the_pack_pdf_has_its_sections_in_order(story, champion):
    _, second = story
    rendered = render_pack(meeting=second, today=TODAY, requested_by="Cara Champion")
    text = pdf_text(rendered.pdf)
    headings = [
        "Open flags raised since the last meeting",
        "Late actions",
        "Open concerns by stage",
        "Headline figures",
    ]
    positions = [text.index(heading, text.index("Asked for by")) for heading in headings]
    assert positions == sorted(positions)
    for expected in (
        "Portsmouth Compact",
        "For the meeting of 9 March 2027",
        "since the group's previous meeting, of 12 January 2027",
        "Asked for by Cara Champion",
        "SINCE0001",
        "Publish the compact's annual report",
        "Action plan: 1 done, 0 on track, 1 late",
        "Received",
        "Invoices paid",
    ):
        assert expected in text, expected
    assert "BEFORE0001" not in text
    assert "PUTRIGHT01" not in text
    assert "Southsea Community Food Bank" not in text.split("Open concerns by stage")[1].split("Headline")[0]


def test_the_pack_says_so_when_there_is_nothing(compact, champion):
    meeting = services.meeting_record(compact=compact, actor=champion, held_on=D(2027, 3, 9), today=TODAY)
    text = pdf_text(render_pack(meeting=meeting, today=TODAY).pdf)
    for nothing in (
        "No flag raised in the period is open.",
        "No action of the plan is late.",
        "No Compact concern is open.",
    ):
        assert nothing in text


def test_who_may_have_the_pack_is_decided_once(compact, champion, vcs_member, charity):
    assert selectors.may_have_pack(user=champion, compact=compact)
    assert not selectors.may_have_pack(user=vcs_member, compact=compact)
    member = add(compact, champion, user=vcs_member, organisation=charity)
    assert selectors.may_have_pack(user=vcs_member, compact=compact)
    services.group_member_leave(member=member, actor=champion, left_on=TODAY, today=TODAY)
    assert not selectors.may_have_pack(user=vcs_member, compact=compact)


# --- The worklist ----------------------------------------------------------------------------------------------


def test_a_champion_is_offered_the_pack_before_a_meeting_and_asked_to_record_one_held(compact, champion, officer):
    def meeting(days: int, **fields) -> Meeting:
        recorded_on = min(TODAY, TODAY + datetime.timedelta(days=days))
        return services.meeting_record(
            compact=compact, actor=champion, held_on=TODAY + datetime.timedelta(days=days), today=recorded_on, **fields
        )

    soon, unrecorded = meeting(14), meeting(-1)
    meeting(15), meeting(-2, notes="Met."), meeting(-61)  # too far ahead; recorded; held too long ago
    items = {item.key: item for item in waiting.group_meetings(worklist.person_for(champion, TODAY))}
    assert set(items) == {str(soon.pk), str(unrecorded.pk)}
    assert items[str(soon.pk)].kind == "group_meeting_pack"
    assert items[str(soon.pk)].due == soon.held_on
    assert items[str(soon.pk)].url == soon.get_absolute_url()
    assert items[str(unrecorded.pk)].what == "Implementation group meeting of 9 March 2027: record the meeting"
    assert items[str(unrecorded.pk)].url == reverse("commitments:meeting_update", args=[compact.slug, unrecorded.pk])
    assert list(waiting.group_meetings(worklist.person_for(officer, TODAY))) == []
