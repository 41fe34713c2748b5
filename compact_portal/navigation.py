"""The main navigation: which links each role sees.

A link is shown to whoever its page lets in: its roles are the page's own (``role_required``, or the admin
site's), read through ``permissions.allowed_roles``, so the navigation never offers a link that refuses the
person following it. A page without a role check is public.
"""

from dataclasses import dataclass
from functools import cached_property

from compact_portal.accounts.permissions import allowed_roles


@dataclass(frozen=True)
class NavLink:
    label: str
    url_name: str

    @cached_property
    def roles(self) -> frozenset[str]:
        """The roles the page lets in; empty for a public page."""
        return allowed_roles(self.url_name) or frozenset()


NAV_LINKS: tuple[NavLink, ...] = (
    NavLink("Compacts", "commitments:compact_list"),
    NavLink("Signatories", "commitments:directory"),
    NavLink("Consultations", "consultations:register"),
    NavLink("Funding", "funding:list"),
    NavLink("Monitoring returns", "funding:return_list"),
    NavLink("Concerns", "disputes:case_list"),
    NavLink("Flags", "commitments:flag_list"),
    NavLink("Champion's desk", "commitments:champion_desk"),
    NavLink("Panel cases", "disputes:panel"),
    NavLink("Administration", "admin:index"),
)


def links_for(roles: frozenset[str]) -> list[NavLink]:
    return [link for link in NAV_LINKS if not link.roles or not link.roles.isdisjoint(roles)]
