"""The demo's consultations (``commitments/demo.py`` explains the demo): the council's, one forthcoming, two open
(the food bank has answered one, not the other), one closed with its feedback published, one closed with feedback
due within days, one closed with feedback overdue and one that ran too short unexplained.

Each is written and published on the day it was announced (or opened, if never announced), its feedback and
responses on theirs, inside ``demo.happening_on`` of that day, so their history is dated when it happened.

Registered as the demo's ``consultations`` part; it adds nothing if the council's first consultation is already
there.
"""

import datetime

from commitments import demo
from commitments.demo import happening_on
from commitments.models import Compact, Organisation
from compact_portal.accounts.models import User

from . import services as consultations
from .models import Consultation, PolicyArea, Represents


def seed_consultations(*, compact: Compact, organisations: dict[str, Organisation], today: datetime.date) -> None:
    """Consultations forthcoming, open (one shorter than 12 weeks, explained), closed with feedback, closed with
    feedback due soon or overdue, and one closed that ran short unexplained, dated around ``today``."""
    council = organisations["portsmouth-city-council"]
    if Consultation.objects.filter(body=council, title="The future of our community centres").exists():
        return
    officer = User.objects.get(email__iexact="officer@demo.example.org")
    days = datetime.timedelta
    common = {
        "compact": compact,
        "body": council,
        "formal": True,
        "methods": "An online and paper questionnaire, two drop-in sessions and a meeting with the VCS forum, "
        "so that groups without internet access can take part.",
        "formats_and_languages": "Easy read, large print and Polish versions on request; a BSL-interpreted session.",
        "foi_statement": "Responses may be released under the Freedom of Information Act 2000 unless you ask "
        "for yours to be kept confidential and an exemption applies.",
        "contact_name": "Priya Shah",
        "contact_email": "consultations@demo.example.org",
    }
    plans = [
        {
            "title": "The future of our community centres",
            "summary": "The council owns eleven community centres. We want to hear how they are used and how "
            "they could be run with community organisations.",
            "policy_area": PolicyArea.objects.get(slug="voluntary-and-community-sector"),
            "announced_date": today - days(40),
            "open_date": today - days(20),
            "close_date": today - days(20) + days(83),
            "open_to_change": "Which centres are run by community organisations, and how leases work.",
            "not_open_to_change": "The total budget for centres, which the council set in February.",
        },
        {
            "title": "Winter pressures small grants",
            "summary": "How a one-off fund for warm spaces this winter should be shared out.",
            "policy_area": PolicyArea.objects.get(slug="council-budget-and-funding"),
            "announced_date": today - days(10),
            "open_date": today - days(5),
            "close_date": today - days(5) + days(55),
            "shorter_explanation": "The government announced the fund in November and it must be spent by "
            "31 March, so eight weeks is the longest we can allow.",
        },
        {
            "title": "Youth service recommissioning",
            "summary": "What young people and youth organisations want from the next youth service contract.",
            "policy_area": PolicyArea.objects.get(slug="children-and-young-people"),
            "announced_date": today - days(3),
            "open_date": today + days(14),
            "close_date": today + days(14) + days(83),
        },
        {
            "title": "Library opening hours",
            "summary": "Changes to the opening hours of branch libraries.",
            "policy_area": PolicyArea.objects.get(slug="culture-leisure-and-sport"),
            "announced_date": today - days(130),
            "open_date": today - days(110),
            "close_date": today - days(110) + days(83),
        },
        {
            "title": "Parking charges at district centres",
            "summary": "Proposed changes to parking charges near local shops.",
            "policy_area": PolicyArea.objects.get(slug="transport"),
            "announced_date": None,
            "open_date": today - days(200),
            "close_date": today - days(200) + days(83),
        },
    ]
    feedback_days = days(weeks=compact.feedback_due_weeks)
    plans += [
        {
            "title": "Household waste collection days",
            "summary": "Moving bin collections to a four-day week.",
            "policy_area": PolicyArea.objects.get(slug="environment-and-climate"),
            "announced_date": today - days(180),
            "open_date": today - days(160),
            # Closed so that its feedback is due in eight days (3.5).
            "close_date": today + days(8) - feedback_days,
        },
        {
            "title": "Public toilets strategy",
            "summary": "Which public toilets stay open, and community toilet schemes with local businesses.",
            "policy_area": PolicyArea.objects.get(slug="health-and-wellbeing"),
            "announced_date": today - days(60),
            "open_date": today - days(50),
            "close_date": today - days(8),  # six weeks, with no reason given (3.7)
        },
    ]
    created = {}
    for plan in plans:
        with happening_on(plan["announced_date"] or plan["open_date"]):
            consultation = consultations.consultation_create(actor=officer, **common, **plan)
            created[plan["title"]] = consultations.consultation_publish(consultation=consultation, actor=officer)
    library = created["Library opening hours"]
    published_on = library.close_date + days(20)
    with happening_on(published_on):
        consultations.feedback_publish(
            consultation=library,
            actor=officer,
            today=published_on,
            summary_of_responses="312 people and 9 organisations responded; most wanted late opening kept on one day.",
            what_changed="Every branch keeps one late evening a week; Saturday hours are unchanged.",
            what_did_not_change="Two branches still close on Mondays: the budget reduction is fixed for this year.",
        )
    # The food bank has answered the community centres consultation; the winter grants one waits for its answer.
    with happening_on(today - days(6)):
        consultations.response_save(
            consultation=created["The future of our community centres"],
            organisation=organisations["southsea-community-food-bank"],
            actor=User.objects.get(email__iexact="charity@demo.example.org"),
            today=today - days(6),
            text="We run our Tuesday and Friday sessions from Albert Road community centre. We would be glad to "
            "share its running with other groups, if the lease keeps rents affordable for volunteers.",
            represents=Represents.SERVICE_USERS,
            how_gathered="Conversations with families at our sessions over three weeks.",
            may_publish=True,
            submit=True,
        )


demo.register("consultations", seed_consultations)
