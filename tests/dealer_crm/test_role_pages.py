"""Roles and pages agree: a button, link or menu entry shows exactly when its page lets the role in,
and every right a role holds opens the page it is for."""

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers import services
from customers.models import DuplicateCandidate
from dealer_crm.accounts.roles import ROLE_PERMISSIONS, Role, sync_role_permissions
from dealer_crm.navigation import MENU
from tests.customers.factories import make_vehicle
from tests.factories import UserFactory

ROLES = list(Role)
TARGET = re.compile(r'\s(?:href|action|hx-get|hx-post)="([^"]+)"')


@pytest.fixture
def archive(db):
    """A customer with phones, a car, a family member and a twin the duplicate scan proposes."""
    sync_role_permissions()  # the groups as ROLE_PERMISSIONS says now, also in a reused test database
    keeper = UserFactory(roles=[Role.CALLBACK_AGENT])
    customer = services.customer_create(by=keeper, name="张三", mobile="13812345678")
    vehicle = make_vehicle(customer, serial=1, plate="皖C12345", by=keeper)
    member = services.family_member_save(customer=customer, by=keeper, relation="child", name="张小明")
    services.customer_create(by=keeper, name="张三", mobile="13812345678")
    services.duplicates_find(on=date(2026, 11, 1))
    # A problem the agent raised in the callback they hold, routed to sales and past its deadline: on the
    # supervisor's dashboard (the general manager reads it too) and in the sales manager's inbox.
    from followups.callbacks.services.calls import callback_claim
    from tests.followups.factories import make_callback, raise_problem

    callback = callback_claim(callback=make_callback(customer=customer, vehicle=vehicle), agent=keeper)
    problem = raise_problem(by=keeper, department="sales", customer=customer, vehicle=vehicle, callback=callback,
                            description="交车时答应的脚垫没给", now=timezone.now() - timedelta(days=10))
    return {"customer": customer, "vehicle": vehicle, "member": member, "pair": DuplicateCandidate.objects.get(),
            "problem": problem}


def user_of(role: Role):
    # The admin role's people also get into the Django admin, as the persona does.
    return UserFactory(roles=[role], is_staff=role == Role.ADMIN)


def targets_in(html: str) -> set[str]:
    return {url.replace("&amp;", "&") for url in TARGET.findall(html)}


def opens(client, method: str, url: str) -> bool:
    """Whether the role gets in: a page (200), or for a POST the action done (a redirect)."""
    response = getattr(client, method)(url)
    allowed = {"get": {200}, "post": {200, 302}}[method]
    if response.status_code in allowed and not response.get("Location", "").startswith(("/accounts/login/",
                                                                                           "/admin/login/")):
        return True
    assert response.status_code in {403, 302}, f"{method.upper()} {url} answered {response.status_code}"
    return False


def pages(archive) -> dict[str, list[tuple[str, str]]]:
    """Each page with action buttons, and the targets of those buttons (method, url)."""
    customer, vehicle, member, pair = archive["customer"], archive["vehicle"], archive["member"], archive["pair"]
    return {
        reverse("customers:detail", args=[customer.pk]): [
            ("get", reverse("customers:edit", args=[customer.pk])),
            ("post", reverse("customers:reveal_phones", args=[customer.pk])),
            ("get", reverse("customers:vehicle_add", args=[customer.pk])),
            ("get", reverse("customers:family_add", args=[customer.pk])),
            ("get", reverse("customers:family_edit", args=[member.pk])),
            ("get", reverse("customers:family_delete", args=[member.pk])),
            ("get", reverse("customers:preference_set", args=[customer.pk])),
        ],
        reverse("customers:vehicle_detail", args=[vehicle.pk]): [
            ("get", reverse("customers:vehicle_edit", args=[vehicle.pk])),
            ("get", reverse("customers:vehicle_owner", args=[vehicle.pk])),
            ("get", reverse("customers:delivery_file", args=[vehicle.pk])),
        ],
        reverse("customers:list"): [
            ("get", reverse("customers:create")),
            ("get", reverse("customers:export", args=["xlsx"])),
            ("get", reverse("customers:export", args=["csv"])),
        ],
        reverse("customers:duplicates"): [
            ("get", reverse("customers:duplicate_merge", args=[pair.pk])),
            ("post", reverse("customers:duplicate_dismiss", args=[pair.pk])),
        ],
        reverse("jobs:run_list"): [("post", reverse("jobs:run_now"))],
        reverse("audit:event_list"): [],
        reverse("callbacks:supervisor"): [],
        reverse("callbacks:problem_detail", args=[archive["problem"].pk]): [],
        # The home page's panels link to their lists ("See all"); the menu is on every page.
        reverse("home"): [("get", reverse("audit:event_list")), ("get", reverse("jobs:run_list"))] + [
            ("get", reverse(item.url_name)) for section in MENU for item in section.items],
    }


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES, ids=[role.value for role in ROLES])
def test_each_button_shows_exactly_when_its_page_lets_the_role_in(client, archive, role):
    client.force_login(user_of(role))
    wrong = []
    for page, buttons in pages(archive).items():
        if not opens(client, "get", page):
            continue  # a page the role cannot open shows it no buttons (the menu check covers the link to it)
        shown = targets_in(client.get(page).content.decode())
        # Only the exact path counts as the button: the export links carry the filters after a "?".
        shown |= {url.split("?")[0] for url in shown}
        for method, url in buttons:
            if (url in shown) != opens(client, method, url):
                wrong.append(f"{page}: {url} {'shown but refused' if url in shown else 'allowed but not shown'}")
    assert wrong == []


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES, ids=[role.value for role in ROLES])
def test_every_link_on_a_page_opens_for_the_role(client, archive, role):
    """Shown ⇒ allowed for the links nobody listed: each page's plain links answer 200."""
    client.force_login(user_of(role))
    wrong = []
    for page in pages(archive):
        if not opens(client, "get", page):
            continue
        body = client.get(page).content.decode()
        for url in set(re.findall(r'\shref="(/[^"]*)"', body)):
            url = url.replace("&amp;", "&")
            if url.startswith("/static/"):
                continue
            if not opens(client, "get", url):
                wrong.append(f"{page}: {url}")
    assert wrong == []


# The page each right is for, and how its target is reached.
def pages_of_rights(archive) -> dict[str, tuple[str, str]]:
    customer, vehicle, member, pair = archive["customer"], archive["vehicle"], archive["member"], archive["pair"]
    return {
        "customers.view_customer": ("get", reverse("customers:detail", args=[customer.pk])),
        "customers.view_vehicle": ("get", reverse("customers:vehicle_detail", args=[vehicle.pk])),
        "customers.add_customer": ("get", reverse("customers:create")),
        "customers.change_customer": ("get", reverse("customers:edit", args=[customer.pk])),
        "customers.add_vehicle": ("get", reverse("customers:vehicle_add", args=[customer.pk])),
        "customers.change_vehicle": ("get", reverse("customers:vehicle_edit", args=[vehicle.pk])),
        "customers.change_deliveryfile": ("get", reverse("customers:delivery_file", args=[vehicle.pk])),
        "customers.add_familymember": ("get", reverse("customers:family_add", args=[customer.pk])),
        "customers.change_familymember": ("get", reverse("customers:family_edit", args=[member.pk])),
        "customers.delete_familymember": ("get", reverse("customers:family_delete", args=[member.pk])),
        "customers.change_contactpreference": ("get", reverse("customers:preference_set", args=[customer.pk])),
        "customers.reveal_phone": ("post", reverse("customers:reveal_phones", args=[customer.pk])),
        "customers.export_customers": ("get", reverse("customers:export", args=["csv"])),
        "customers.merge_customer": ("get", reverse("customers:duplicate_merge", args=[pair.pk])),
        "audit.view_auditevent": ("get", reverse("audit:event_list")),
        "jobs.view_jobrun": ("get", reverse("jobs:run_list")),
        "complaints.view_complaint": ("get", reverse("complaints:complaint_list")),
        "complaints.add_complaint": ("get", reverse("complaints:complaint_create") + f"?customer={customer.pk}"),
        "complaints.handle_complaint": ("get", reverse("complaints:inbox")),
        "complaints.view_severity": ("get", reverse("complaints:severity_list")),
        "complaints.view_storeday": ("get", reverse("complaints:storeday_list")),
        "complaints.view_manufactureritem": ("get", reverse("complaints:manufacturer_list")),
        "complaints.add_manufactureritem": ("get", reverse("complaints:manufacturer_new")),
        "leads.view_lead": ("get", reverse("leads:lead_list")),
        "leads.add_lead": ("get", reverse("leads:lead_create") + f"?customer={customer.pk}"),
        "leads.follow_lead": ("get", reverse("leads:lead_list")),
        "leads.manage_lead": ("get", reverse("leads:lead_list")),
        "retention.view_reminder": ("get", reverse("retention:reminder_list")),
        "retention.change_reminder": ("get", reverse("retention:letters")),
        "retention.view_lapse": ("get", reverse("retention:lapse_list")),
        "retention.view_lapseband": ("get", reverse("retention:band_list")),
        "retention.add_lapseband": ("get", reverse("retention:band_create")),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES, ids=[role.value for role in ROLES])
def test_every_right_a_role_holds_opens_its_page(client, archive, role):
    client.force_login(user_of(role))
    rights = pages_of_rights(archive)
    refused = [perm for perm in sorted(ROLE_PERMISSIONS[role] & rights.keys()) if not opens(client, *rights[perm])]
    assert refused == []


@pytest.mark.django_db
def test_the_admin_is_refused_the_edit_form_before_the_customer_is_looked_up(client):
    client.force_login(user_of(Role.ADMIN))
    assert client.get(reverse("customers:edit", args=[999_999])).status_code == 403
