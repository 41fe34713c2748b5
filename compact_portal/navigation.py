"""The main navigation: which links each role sees.

A link with no roles is public. A person sees the public links plus every link one of their roles
opens; a link they could not use is never shown.
"""

from dataclasses import dataclass

from compact_portal.accounts.roles import Role


@dataclass(frozen=True)
class NavLink:
    label: str
    url_name: str
    roles: frozenset[str] = frozenset()


NAV_LINKS: tuple[NavLink, ...] = (
    NavLink("Compacts", "commitments:compact_list"),
    NavLink("Signatories", "commitments:directory"),
    NavLink("Consultations", "consultations:register"),
    NavLink("Funding", "funding:list", frozenset({Role.OFFICER, Role.VCS_MEMBER, Role.CHAMPION, Role.ADMINISTRATOR})),
    NavLink(
        "Concerns", "disputes:case_list", frozenset({Role.VCS_MEMBER, Role.OFFICER, Role.CHAMPION, Role.PANEL_MEMBER})
    ),
    NavLink("Flags", "commitments:flag_list", frozenset({Role.OFFICER, Role.CHAMPION, Role.ADMINISTRATOR})),
    NavLink("Champion's desk", "commitments:champion_desk", frozenset({Role.CHAMPION, Role.ADMINISTRATOR})),
    NavLink("Panel cases", "disputes:panel", frozenset({Role.PANEL_MEMBER})),
    NavLink("Administration", "admin:index", frozenset({Role.ADMINISTRATOR})),
)


def links_for(roles: frozenset[str]) -> list[NavLink]:
    return [link for link in NAV_LINKS if not link.roles or not link.roles.isdisjoint(roles)]
