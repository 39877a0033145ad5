"""Publishing through the developer console in Chromium: a new person signs up there, becomes a
developer, creates an app, uploads a zip (a progress bar, then the check report) and submits it
for review; a bad manifest's error is shown against its field; a folder is zipped in the browser;
a viewer on the team gets no upload control and the platform refuses their upload; and the
console fits a phone's and a desktop's width."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import expect

from tests.browser.host_page import Developer, HostPage
from tests.factories import package_files, write_folder, zip_bytes

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def console_page(browser, live_server):
    """A new visitor's console page at a phone's size; fails the test on any uncaught error."""
    pages: list[HostPage] = []

    def open_page(viewport: dict = PHONE) -> HostPage:
        context = browser.new_context(viewport=viewport, device_scale_factor=1)
        page = HostPage(context.new_page(), live_server)
        pages.append(page)
        return page

    yield open_page
    for page in pages:
        page.page.context.close()
    assert [error for page in pages for error in page.errors] == []


def studio_with_app(host: HostPage, prefix: str) -> tuple[Developer, str]:
    """A developer (made through the API) with a registered app and no versions yet."""
    developer = Developer(host, f"{prefix}-{secrets.token_hex(3)}@example.com")
    app_id = f"{prefix}-{secrets.token_hex(3)}"
    developer.register_app(app_id, prefix.title())
    return developer, app_id


def submit_newer(host: HostPage, app_id: str) -> None:
    """Version 1.1.0 of the app uploaded by its owner (the page's person) and submitted for review."""
    newer = host.page.request.post(
        f"{host.server.url}/api/developer/apps/{app_id}/versions",
        data=zip_bytes(package_files(id=app_id, version="1.1.0")),
        headers={
            "Content-Type": "application/zip",
            "X-CSRF-Token": host.call_api("GET", "/api/me")["body"]["csrf_token"],
        },
    )
    assert newer.status == 201, newer.text()
    assert host.call_api("POST", f"/api/developer/apps/{app_id}/versions/1.1.0/submit")["status"] == 200


def no_sideways_scroll(page) -> bool:
    """Nothing on the page is wider than the window (a wide table scrolls inside its own box)."""
    return page.evaluate(
        """() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)
            <= document.documentElement.clientWidth"""
    )


def test_a_new_developer_signs_up_creates_an_app_uploads_and_submits_it(console_page, tmp_path):
    host = console_page(PHONE)
    page = host.page
    email = f"publisher-{secrets.token_hex(3)}@example.com"
    page.goto(f"{host.server.url}/console")

    account = page.get_by_role("region", name="Sign up or sign in")
    account.get_by_label("Email").fill(email)
    account.get_by_label("Password").fill("a long password")
    account.get_by_role("button", name="Sign up").click()
    page.get_by_label("Code from the email").fill(host.server.mailed(email, r"verification code is (\d{6})"))
    page.get_by_role("button", name="Verify").click()

    expect(page.get_by_role("heading", name="Become a developer")).to_be_visible()
    page.get_by_label("Studio name").fill("Publisher Studio")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("No apps yet", exact=False)).to_be_visible()

    app_id = f"pub-{secrets.token_hex(3)}"
    page.get_by_label("App id").fill(app_id)
    page.get_by_label("Name", exact=True).fill("Publisher Game")
    page.get_by_label("Kind").select_option("game")
    page.get_by_label("Category").fill("puzzle")
    page.get_by_role("button", name="Create app").click()
    expect(page.get_by_label("App secret", exact=True)).to_have_value(re.compile(r"^ms_"))
    expect(page.get_by_text("No apps yet", exact=False)).to_have_count(0)  # it has one (a probe read both)
    page.get_by_role("button", name="I saved it: open the app").click()
    expect(page.get_by_role("tab", name="Versions")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("heading", name="Publisher Game")).to_be_visible()

    package = tmp_path / "game.zip"
    package.write_bytes(zip_bytes(package_files(id=app_id, name="Publisher Game")))
    page.get_by_label("Choose a zip").set_input_files(package)
    expect(page.get_by_role("progressbar", name="Upload progress")).to_have_attribute("aria-valuenow", "100")
    expect(page.get_by_role("status").filter(has_text="Uploaded version 1.0.0")).to_be_visible()

    version = page.get_by_role("listitem", name="Version 1.0.0")
    expect(version.locator(".state-badge")).to_have_text("Checked")
    report = version.get_by_role("region", name="Check report")
    expect(report.get_by_text("Checks passed")).to_be_visible()
    expect(report).to_contain_text("not checked in a browser")
    sizes = report.get_by_role("table", name="Sizes against budgets")
    expect(sizes.get_by_role("row", name="Whole package")).to_be_visible()
    for log in ("Console errors", "Exceptions", "CSP violations"):
        expect(report.get_by_role("group", name=log)).to_contain_text(f"{log}: none")
    qr = version.get_by_role("img", name="QR code of the preview link of 1.0.0")
    expect(qr).to_be_visible()
    # Visible before its bytes arrive: decode() waits for them, and rejects a broken image.
    assert qr.evaluate("(image) => image.decode().then(() => image.naturalWidth > 0)")
    expect(version.get_by_role("link", name="Open the preview")).to_have_attribute(
        "href", f"{host.server.url}/preview/{app_id}/1.0.0"
    )
    expect(version.get_by_role("table", name="History of 1.0.0")).to_contain_text("uploaded")

    version.get_by_role("button", name="Submit for review").click()
    expect(version.locator(".state-badge")).to_have_text("In review")
    expect(version.get_by_role("button", name="Submit for review")).to_have_count(0)
    expect(version.get_by_role("table", name="History of 1.0.0")).to_contain_text("submitted")
    assert no_sideways_scroll(page)


def test_a_bad_manifest_is_shown_against_its_field_and_nothing_is_stored(console_page, tmp_path):
    host = console_page(DESKTOP)
    _, app_id = studio_with_app(host, "badman")
    page = host.page
    page.goto(f"{host.server.url}/console#app={app_id}")
    package = tmp_path / "bad.zip"
    package.write_bytes(zip_bytes(package_files(id=app_id, version="one")))
    page.get_by_label("Choose a zip").set_input_files(package)

    files = page.get_by_role("list", name="Files in the package")
    manifest = files.locator('.package-file[data-path="minis.json"]')
    expect(manifest).to_have_attribute("aria-invalid", "true")
    field = manifest.locator('.package-field[data-field="version"]')
    expect(field).to_contain_text("version")
    expect(field.locator(".form-error")).to_contain_text("semantic version")
    expect(files.locator(".package-file")).to_have_count(4)  # every file of the zip, the bad one first
    expect(page.get_by_text("No versions yet.")).to_be_visible()


def test_a_chosen_folder_is_zipped_in_the_browser_and_checked(console_page, tmp_path):
    host = console_page(DESKTOP)
    _, app_id = studio_with_app(host, "folder")
    page = host.page
    page.goto(f"{host.server.url}/console#app={app_id}&tab=versions")
    folder = write_folder(tmp_path / "my-game", {**package_files(id=app_id, version="2.1.0"), "img/bg.txt": b"x" * 500})
    page.get_by_label("Choose a folder").set_input_files(folder)
    version = page.get_by_role("listitem", name="Version 2.1.0")
    expect(version.locator(".state-badge")).to_have_text("Checked")
    expect(version).to_contain_text("in 5 files")


def test_a_viewer_accepts_the_invitation_sees_no_upload_and_the_platform_refuses_theirs(console_page, tmp_path):
    owner = console_page(DESKTOP)
    developer, app_id = studio_with_app(owner, "team")
    developer.upload(app_id, zip_bytes(package_files(id=app_id)))
    viewer_email = f"viewer-{secrets.token_hex(3)}@example.com"
    invited = owner.call_api(
        "POST", f"/api/developer/apps/{app_id}/team/invitations", {"email": viewer_email, "role": "viewer"}
    )
    assert invited["status"] == 201, invited

    viewer = console_page(PHONE)
    page = viewer.page
    page.goto(f"{viewer.server.url}/console")
    assert (
        viewer.call_api("POST", "/api/account/register", {"email": viewer_email, "password": "a long password"})[
            "status"
        ]
        == 200
    )
    code = viewer.server.mailed(viewer_email, r"verification code is (\d{6})")
    assert viewer.call_api("POST", "/api/account/verify", {"code": code})["status"] == 200
    page.reload()
    page.get_by_role("button", name=f"Accept the invitation to {app_id}").click()

    expect(page.get_by_text("you: viewer")).to_be_visible()
    version = page.get_by_role("listitem", name="Version 1.0.0")
    expect(version.locator(".state-badge")).to_have_text("Released")  # Developer.upload releases it
    expect(page.get_by_label("Choose a zip")).to_have_count(0)
    expect(page.get_by_role("button", name="Submit for review")).to_have_count(0)
    page.get_by_role("tab", name="Money").click()
    expect(page.get_by_role("region", name="Fee and commission")).to_contain_text("30 %")
    expect(page.get_by_role("button", name="New product")).to_have_count(0)

    csrf = viewer.call_api("GET", "/api/me")["body"]["csrf_token"]
    refused = page.request.post(
        f"{viewer.server.url}/api/developer/apps/{app_id}/versions",
        data=zip_bytes(package_files(id=app_id, version="1.0.1")),
        headers={"Content-Type": "application/zip", "X-CSRF-Token": csrf},
    )
    assert (refused.status, refused.json()["code"]) == (403, "ROLE_FORBIDS")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390x844", "1280x800"])
def test_every_console_screen_fits_the_width_without_sideways_scrolling(console_page, viewport):
    host = console_page(viewport)
    developer, app_id = studio_with_app(host, "layout")
    developer.upload(app_id, zip_bytes(package_files(id=app_id, description="A long description " * 5)))
    product = {"type": "permanent", "price": 250, "title": {"en": "A rather long product title for narrow screens"}}
    assert host.call_api("PUT", f"/api/developer/apps/{app_id}/products/no-ads", product)["status"] == 200
    page = host.page
    page.goto(f"{host.server.url}/console#app={app_id}")
    for tab in ("Versions", "Reports", "Money", "Ads", "Team", "Settings"):
        page.get_by_role("tab", name=tab).click()
        expect(page.get_by_role("tab", name=tab)).to_have_attribute("aria-selected", "true")
        panel = page.get_by_role("tabpanel")
        expect(panel).to_have_attribute("aria-busy", "false")
        expect(panel.locator(".form-error:not(:empty)")).to_have_count(0)
        assert no_sideways_scroll(page), f"the {tab} screen is wider than {viewport['width']} px"
    page.goto(f"{host.server.url}/console#new")
    expect(page.get_by_role("heading", name="New app")).to_be_visible()
    assert no_sideways_scroll(page)


def test_an_owner_stages_an_approved_version_then_rolls_everyone_back(console_page):
    host = console_page(DESKTOP)
    developer, app_id = studio_with_app(host, "stage")
    developer.upload(app_id, zip_bytes(package_files(id=app_id)))  # 1.0.0, released to everyone
    submit_newer(host, app_id)
    host.server.approve(app_id, "1.1.0", percent=None)

    page = host.page
    page.goto(f"{host.server.url}/console#app={app_id}")
    staged = page.get_by_role("listitem", name="Version 1.1.0")
    expect(staged.locator(".state-badge")).to_have_text("Approved")
    staged.get_by_role("group", name="Release 1.1.0 to").get_by_role("button", name="10 %").click()
    expect(page.get_by_text("released 1.0.0, 1.1.0 to 10 %")).to_be_visible()
    expect(staged.locator(".state-badge")).to_have_text("Released")
    expect(staged).to_contain_text("10 % of people get it")
    expect(page.get_by_role("listitem", name="Version 1.0.0")).to_contain_text("90 % of people get it")

    staged.get_by_role("group", name="Release 1.1.0 to").get_by_role("button", name="100 %").click()
    older = page.get_by_role("listitem", name="Version 1.0.0")
    expect(older.locator(".state-badge")).to_have_text("Superseded")
    older.get_by_text("Report, history and actions").click()
    page.once("dialog", lambda dialog: dialog.accept())
    older.get_by_role("button", name="Roll back to 1.0.0").click()
    expect(page.get_by_text("released 1.0.0 ·")).to_be_visible()
    expect(page.get_by_role("listitem", name="Version 1.1.0").locator(".state-badge")).to_have_text("Superseded")
    older.get_by_text("Report, history and actions").click()
    expect(older.get_by_role("table", name="History of 1.0.0")).to_contain_text("rolled back to")


def test_a_staged_version_rolled_back_is_staged_again_not_rolled_back_to(console_page):
    """A probe (dev51): after rolling a 10 % release back, its version offered only Roll back (which
    the platform refuses: it never went to everyone) and Check again (refused after review), and no
    way to release it again, which the platform allows."""
    host = console_page(DESKTOP)
    developer, app_id = studio_with_app(host, "restage")
    developer.upload(app_id, zip_bytes(package_files(id=app_id)))  # 1.0.0, released to everyone
    submit_newer(host, app_id)
    host.server.approve(app_id, "1.1.0", percent=10)
    rolled = host.call_api("POST", f"/api/developer/apps/{app_id}/rollback", {"version": "1.0.0", "note": "a bug"})
    assert rolled["status"] == 200, rolled

    page = host.page
    page.goto(f"{host.server.url}/console#app={app_id}")
    staged = page.get_by_role("listitem", name="Version 1.1.0")
    expect(staged.locator(".state-badge")).to_have_text("Superseded")
    expect(staged.locator("details")).to_have_attribute("open", "")  # the newest version's actions are shown
    expect(staged.get_by_role("group", name="Release 1.1.0 to")).to_be_visible()
    expect(staged.get_by_role("button", name="Roll back to 1.1.0")).to_have_count(0)
    expect(staged.get_by_role("button", name="Check again")).to_have_count(0)
    staged.get_by_role("group", name="Release 1.1.0 to").get_by_role("button", name="10 %").click()
    expect(page.get_by_text("released 1.0.0, 1.1.0 to 10 %")).to_be_visible()
    expect(page.get_by_role("listitem", name="Version 1.1.0")).to_contain_text("10 % of people get it")
