"""Odd input from outside is a clear message or a 400, never a 500: one test per case once found.

The fuzz test (test_fuzz_inputs.py) looks for more; each 500 it finds gets its own test here.
"""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse, QueryDict
from django.test import RequestFactory

from customers.models import Customer
from dealer_crm.middleware import UnstorableInputMiddleware
from dealer_crm.paging import MAX_PAGE, uncounted_page
from tests.customers.factories import CustomerFactory
from tests.factories import UserFactory

TWENTY_FOUR_DIGITS = "9" * 24


def assert_the_bad_request_page(response):
    assert response.status_code == 400
    body = response.content.decode()
    assert "无法读取" in body and "无法保存的字符" in body  # the Chinese page, not Django's bare one


# --- NUL and lone surrogates: the middleware, before any view ---------------------------------
@pytest.mark.django_db
def test_a_search_with_a_nul_byte_is_a_bad_request(login, agent):
    assert_the_bad_request_page(login(agent).get("/customers/search/?q=张%00三"))


@pytest.mark.django_db
def test_a_list_filter_with_a_nul_byte_is_a_bad_request(login, supervisor):
    client = login(supervisor)
    assert_the_bad_request_page(client.get("/customers/?model_name=%00"))
    assert_the_bad_request_page(client.get("/audit/?action=x%00"))


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["q=%00", "importance__exact=%00", "o=1%00", "%00=1"])
def test_an_admin_changelist_filter_with_a_nul_byte_is_a_bad_request(client, query):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    assert_the_bad_request_page(client.get(f"/admin/customers/customer/?{query}"))


@pytest.mark.django_db
def test_a_form_field_with_a_nul_byte_is_a_bad_request_and_nothing_is_saved(login, agent):
    response = login(agent).post("/customers/new/", {"name": "张\x00三", "mobile": "13812345678"})
    assert_the_bad_request_page(response)
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_a_session_cookie_with_a_nul_byte_is_a_bad_request(client):
    # A quoted cookie value may spell a NUL as an octal escape; Django unquotes it.
    response = client.get("/accounts/login/", HTTP_COOKIE='sessionid="abc\\000defghijk"')
    assert_the_bad_request_page(response)


@pytest.mark.django_db
def test_a_login_with_a_nul_byte_in_the_browser_name_is_a_bad_request(client, agent, password):
    response = client.post("/accounts/login/", {"username": agent.username, "password": password},
                           HTTP_USER_AGENT="Mozilla\x00")
    assert_the_bad_request_page(response)
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_bad_request_page_is_in_chinese_for_a_browser_that_prefers_english(client):
    response = client.get("/accounts/login/?next=%00", HTTP_ACCEPT_LANGUAGE="en-US,en")
    assert_the_bad_request_page(response)


def test_a_lone_surrogate_is_refused_as_well():
    """Django decodes invalid UTF-8 to U+FFFD, so a surrogate should never arrive over HTTP; if one
    does (another server, another decoding), it cannot be written to the database either."""
    request = RequestFactory().get("/customers/search/")
    request.GET = QueryDict(mutable=True)
    request.GET["q"] = "张\ud800"
    request.user = AnonymousUser()
    middleware = UnstorableInputMiddleware(lambda request: HttpResponse("the view"))
    assert middleware(request).status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["q=%ED%A0%80", "q=%FF%FE", "q=%EF%BF%BF", "q=%E2%80%8F%E2%80%AE"])
def test_invalid_utf8_noncharacters_and_bidi_marks_are_searched_not_refused(login, agent, query):
    assert login(agent).get(f"/customers/search/?{query}").status_code == 200


# --- the last code point ------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_search_ending_in_the_last_code_point_answers(login, agent):
    """The plate prefix range computed chr(ord(last) + 1): past U+10FFFF there is no character."""
    CustomerFactory(name="张三")
    assert login(agent).get("/customers/search/", {"q": "皖Z\U0010ffff"}).status_code == 200


# --- numbers ------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_page_number_of_24_digits_shows_the_last_page_of_a_counted_list(login, supervisor):
    CustomerFactory(name="张三")
    response = login(supervisor).get("/customers/", {"page": TWENTY_FOUR_DIGITS})
    assert response.status_code == 200
    assert [customer.name for customer in response.context["page"].object_list] == ["张三"]


@pytest.mark.django_db
def test_a_page_number_of_24_digits_is_an_empty_page_of_a_list_not_counted():
    page = uncounted_page(Customer.objects.all(), TWENTY_FOUR_DIGITS, per_page=50)
    assert page.object_list == [] and page.number == MAX_PAGE


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/customers/", "/audit/", "/customers/duplicates/", "/customers/1/timeline/"])
def test_huge_and_odd_page_numbers_answer_on_every_paged_list(login, supervisor, path):
    CustomerFactory(pk=1, name="张三")
    client = login(supervisor)
    for page in (TWENTY_FOUR_DIGITS, "-" + TWENTY_FOUR_DIGITS, "1" * 10_000, "1e9", "٣", "0x10"):
        assert client.get(path, {"page": page}).status_code == 200, page


@pytest.mark.django_db
def test_a_page_number_with_more_digits_than_python_converts_is_the_first_page():
    assert uncounted_page(Customer.objects.all(), "9" * 10_000, per_page=50).number == 1


# --- login --------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_256_character_username_is_a_form_error_not_a_500(client):
    response = client.post("/accounts/login/", {"username": "a" * 256, "password": "x"})
    assert response.status_code == 200
    errors = response.context["form"].errors["username"]
    assert errors == ["用户名最多 150 个字符。"]
    assert not AccessAttempt.objects.exists()  # never reached authentication


@pytest.mark.django_db
def test_a_256_character_username_on_the_admin_login_is_a_form_error(client):
    response = client.post("/admin/login/", {"username": "a" * 256, "password": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors["username"]


@pytest.mark.django_db
def test_a_long_but_possible_username_still_counts_as_a_failed_login(client):
    client.post("/accounts/login/", {"username": "a" * 150, "password": "x"})
    assert AccessAttempt.objects.get().username == "a" * 150


# --- found by the fuzz test: django-celery-beat's schedule admin --------------------------------
@pytest.fixture
def root(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.mark.django_db
def test_a_periodic_task_name_of_5000_characters_is_a_form_error(root):
    response = root.post("/admin/django_celery_beat/periodictask/add/", {"name": "每日任务", "task": "1" * 5_000})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["task"]


@pytest.mark.django_db
def test_a_negative_crontab_minute_is_a_form_error(root):
    response = root.post("/admin/django_celery_beat/crontabschedule/add/", {
        "minute": "-1", "hour": "*", "day_of_month": "*", "month_of_year": "*", "day_of_week": "*",
        "timezone": "Asia/Shanghai"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["minute"]
