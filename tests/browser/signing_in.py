"""Signing in through the login page, as a person does, in a browser context of its own (each
person of a walk has their own cookies)."""

from tests.factories import PASSWORD


def sign_in(browser, live_server, username: str, *, viewport: tuple[int, int] = (1440, 900)):
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")
    return page
