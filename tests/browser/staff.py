"""A staff member of the shared live server (``minis staff add``), signed in on /admin with an emailed link."""

from __future__ import annotations

from playwright.sync_api import expect
from typer.testing import CliRunner

from openminis.cli import app as minis

DESKTOP = {"width": 1280, "height": 800}


def signed_in_staff(browser, live_server, email: str, role: str, *, viewport=DESKTOP, path: str = "/admin"):
    """Returns the /admin page at ``path``, its context, and the page's uncaught errors as they come."""
    # The command itself, run in this process with the server's environment: a process of its own
    # spent 3 to 8 s importing the platform.
    added = CliRunner().invoke(
        minis, ["staff", "add", email, "--role", role, "--data-dir", str(live_server.data_dir)], env=live_server.env
    )
    assert added.exit_code == 0, added.output
    context = browser.new_context(viewport=viewport, device_scale_factor=1)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/admin")
    form = page.get_by_role("form", name="Sign in to review")
    form.get_by_label("Email").fill(email)
    form.get_by_role("button", name="Email me a sign-in link").click()
    expect(form.get_by_text(f"We sent a sign-in link to {email}", exact=False)).to_be_visible()
    page.goto(live_server.mailed(email, r"(http://\S+/account/link\?token=\S+)"))
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/#/me")
    page.goto(f"{live_server.url}{path}")
    expect(page.locator(".admin-email")).to_have_text(email)
    return page, context, errors
