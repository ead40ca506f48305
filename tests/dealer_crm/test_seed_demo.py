import pytest
from django.core.management import CommandError, call_command

from dealer_crm.accounts.models import User
from dealer_crm.accounts.roles import Role


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.DEBUG = True
    return tmp_path


@pytest.mark.django_db
def test_one_demo_user_per_role_and_their_logins_are_printed(var_dir, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    users = User.objects.all()
    assert sorted(role for user in users for role in user.roles) == sorted(Role)
    for user in users:
        assert user.username in out
    logins = next(var_dir.glob("demo-logins-*.txt")).read_text().splitlines()
    username, password, _label = logins[0].split("\t")
    assert User.objects.get(username=username).check_password(password)


@pytest.mark.django_db
def test_running_it_again_adds_no_one(var_dir):
    call_command("seed_demo")
    call_command("seed_demo")
    assert User.objects.count() == len(Role)
    assert len(next(var_dir.glob("demo-logins-*.txt")).read_text().splitlines()) == len(Role)


@pytest.mark.django_db
def test_a_database_made_anew_leaves_one_line_per_user_with_the_password_that_works(var_dir, capsys):
    call_command("seed_demo")
    User.objects.all().delete()  # the SQLite file deleted, the demo made again
    call_command("seed_demo")
    logins = next(var_dir.glob("demo-logins-*.txt")).read_text().splitlines()
    assert len(logins) == len(Role)
    for line in logins:
        username, password, _label = line.split("\t")
        assert User.objects.get(username=username).check_password(password)
    assert capsys.readouterr().out.count("\nagent\t") == 2  # once per run, never a dead one


@pytest.mark.django_db
def test_it_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not User.objects.exists()


@pytest.mark.django_db
def test_it_adds_a_store_of_customers_with_their_cars_and_service_history(var_dir, capsys):
    from customers.models import Customer, ServiceVisit, Vehicle

    from events.models import Invitation

    call_command("seed_demo", customers=60, seed=3)
    # The archive's 60, and the new customers the demo events' doors added as walk-ins.
    made = Customer.objects.count()
    assert 60 <= made <= 60 + Invitation.objects.filter(channel="walk_in").count()
    assert Vehicle.objects.count() >= 60
    assert ServiceVisit.objects.filter(kind="first").exists()
    assert "Demo store: customer 60" in capsys.readouterr().out
    call_command("seed_demo", customers=60, if_empty=True)
    assert Customer.objects.count() == made
