"""The roles a person can hold in an organisation, and which side of the compact each needs."""

from django.db import models


class Role(models.TextChoices):
    OFFICER = "officer", "Public-body officer"
    VCS_MEMBER = "vcs_member", "VCS organisation member"
    CHAMPION = "champion", "Compact champion"
    PANEL_MEMBER = "panel_member", "Dispute panel member"
    ADMINISTRATOR = "administrator", "Administrator"


# An officer acts for a public body and a VCS member for a voluntary or community organisation;
# champions, panel members and administrators can come from either side.
ROLE_REQUIRES_SIDE: dict[str, str] = {
    Role.OFFICER: "public",
    Role.VCS_MEMBER: "vcs",
}
