from compact_portal.accounts.models import Membership
from compact_portal.accounts.roles import Role
from compact_portal.accounts.services import membership_grant, membership_revoke, user_create


def test_granting_a_role_twice_keeps_one_membership(officer, charity):
    first = membership_grant(user=officer, organisation=charity, role=Role.CHAMPION)
    second = membership_grant(user=officer, organisation=charity, role=Role.CHAMPION)
    assert first.pk == second.pk
    assert Membership.objects.filter(user=officer, role=Role.CHAMPION).count() == 1


def test_granting_and_revoking_updates_the_roles_at_once(officer, charity):
    assert not officer.has_role(Role.CHAMPION)
    membership_grant(user=officer, organisation=charity, role=Role.CHAMPION)
    assert officer.has_role(Role.CHAMPION)
    assert membership_revoke(user=officer, organisation=charity, role=Role.CHAMPION)
    assert not officer.has_role(Role.CHAMPION)


def test_a_person_created_without_a_password_must_use_password_reset(db):
    user = user_create(email="new.person@example.org", full_name="New Person")
    assert not user.has_usable_password()


def test_granting_and_revoking_a_role_is_kept_in_history(officer, charity, administrator):
    from compact_portal.audit import audit_context

    with audit_context(user=administrator):
        membership = membership_grant(user=officer, organisation=charity, role=Role.CHAMPION)
        membership_revoke(user=officer, organisation=charity, role=Role.CHAMPION)

    history = Membership.history.filter(id=membership.pk).order_by("history_date", "history_id")
    assert [(record.history_type, record.role, record.history_user) for record in history] == [
        ("+", Role.CHAMPION, administrator),
        ("-", Role.CHAMPION, administrator),
    ]
