from compact_portal.accounts.models import User
from compact_portal.accounts.roles import Role
from compact_portal.accounts.services import membership_revoke


def test_administrators_hold_every_permission_through_their_role(administrator):
    assert administrator.has_perm("accounts.change_user")
    assert administrator.has_module_perms("commitments")


def test_other_roles_hold_no_admin_permission(officer):
    assert not officer.has_perm("accounts.change_user")
    assert not officer.is_staff


def test_removing_the_administrator_role_closes_the_admin(administrator, council):
    membership_revoke(user=administrator, organisation=council, role=Role.ADMINISTRATOR)
    fresh = User.objects.get(pk=administrator.pk)
    assert not fresh.is_staff
    assert not fresh.has_perm("accounts.change_user")
