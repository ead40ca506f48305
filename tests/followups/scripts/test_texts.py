"""The opening and closing words with the customer's details filled in."""

from followups.scripts.texts import fill

OPENING = "您好，请问是{name}{title}吗？我是{store}客服中心的回访专员{agent}。"


def test_the_variables_are_filled_with_the_customers_details():
    values = {"name": "王建华", "title": "先生", "store": "雷诺4S店", "agent": "李娜"}
    assert fill(OPENING, values) == "您好，请问是王建华先生吗？我是雷诺4S店客服中心的回访专员李娜。"


def test_a_detail_the_record_lacks_is_left_out():
    assert fill("请问是{name}{title}吗？", {"name": "王建华"}) == "请问是王建华吗？"


def test_an_unknown_variable_stays_as_written_and_braces_do_not_break_the_text():
    assert fill("{name}您好，{nmae}{ }{", {"name": "王建华"}) == "王建华您好，{nmae}{ }{"


def test_the_values_of_a_call_come_from_the_customer_the_vehicle_and_the_agent(settings):
    from types import SimpleNamespace

    from followups.scripts.texts import values_for

    settings.SMS_STORE_NAME = "雷诺4S店"
    customer = SimpleNamespace(name="刘敏", gender="F")
    vehicle = SimpleNamespace(plate="粤B12345", model_name="科雷嘉")
    agent = SimpleNamespace(display_name="李娜", get_username=lambda: "agent_li")
    assert values_for(customer=customer, vehicle=vehicle, agent=agent) == {
        "name": "刘敏", "title": "女士", "store": "雷诺4S店", "plate": "粤B12345", "model": "科雷嘉", "agent": "李娜"}
    assert values_for(customer=SimpleNamespace(name="张伟", gender=""))["title"] == ""
