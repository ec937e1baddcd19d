"""Row C1 of ../shared/lti.md section 5 in a real browser: the platform's course page (platform.test) frames the
tool (tool.test), two sites over https, so the tool's cookies in that iframe are third-party, as in a school's
Moodle. Both hosts lead to 127.0.0.1: Chromium maps *.test there, and so does this process for the tool's calls
to the platform (key set, access token, scores). The certificate is made here; the tool's requests trust it,
Chromium is told to ignore that nobody signed it.

- Third-party cookies blocked (Chromium 156 blocks them already; `--test-third-party-cookie-phaseout` makes
  sure): the login's state cookie is Partitioned, so it is kept in the iframe and the launch works there.
- Not even a partitioned cookie kept in the iframe (a cookie content setting that blocks tool.test under
  platform.test, as browsers without CHIPS or with stricter privacy settings behave; Chromium 156 has no
  PartitionedCookies feature left to switch off): the login page says so, and its button opens the login in a
  new window, where the tool is first-party and the launch works.
- tool.test's cookies refused everywhere: the new window's login page asks the child to show the message to a
  teacher or another adult, with no button that would only lead to the same page.

Each test first shows that the browser really refuses what the case claims, with a probe cookie in the frame."""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from playwright.sync_api import Frame, Playwright, expect

from tests.browser.conftest import Watch, new_page, watched
from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, Learner, axe
from tests.browser.test_lti import Lti, Tab, check, check_score, finish_and_grade, launch, serving

pytestmark = pytest.mark.browser

TOOL_HOST = "tool.test"
PLATFORM_HOST = "platform.test"
CROSS_SITE_ARGS = ["--host-resolver-rules=MAP *.test 127.0.0.1", "--ignore-certificate-errors"]
THIRD_PARTY = "Secure; SameSite=None"  # a third-party cookie as the state cookie is, but not partitioned
PARTITIONED = "Secure; SameSite=None; Partitioned"  # the state cookie's attributes on https
BLOCK = 2  # Chromium's CONTENT_SETTING_BLOCK


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for both host names and its key: (certificate file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stopsexting LTI browser test")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(TOOL_HOST), x509.DNSName(PLATFORM_HOST)]),
                           critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def loopback(real: Callable[..., Any]) -> Callable[..., Any]:
    """socket.getaddrinfo with *.test at 127.0.0.1, what --host-resolver-rules does for Chromium."""
    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        return real("127.0.0.1" if isinstance(host, str) and host.endswith(".test") else host, *args, **kwargs)
    return getaddrinfo


@pytest.fixture(scope="module")
def cross_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lti]:
    folder = tmp_path_factory.mktemp("lti-cross-site")
    cert_file, key_file = certificate(folder)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert_file, key_file)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "getaddrinfo", loopback(socket.getaddrinfo))
        patch.setenv("REQUESTS_CA_BUNDLE", str(cert_file))
        with serving(folder, tls=tls, tool_host=TOOL_HOST, platform_host=PLATFORM_HOST) as lti:
            yield lti


@pytest.fixture()
def third_party_blocked(playwright: Playwright, cross_site: Lti) -> Iterator[Tab]:
    """A tab of a Chromium that blocks third-party cookies but keeps partitioned ones."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=[*CHROMIUM_ARGS, *CROSS_SITE_ARGS, "--test-third-party-cookie-phaseout"])
    watch = Watch(cross_site.platform.origin)
    yield Tab(new_page(browser, watch), watch)
    browser.close()


def blocking_profile(playwright: Playwright, cross_site: Lti, folder: Path, top_level: str) -> Iterator[Tab]:
    """A tab of a Chromium whose profile blocks every cookie of tool.test, partitioned or not, in pages whose
    top-level site matches `top_level` (the content setting's secondary pattern)."""
    preferences = {"profile": {"content_settings": {"exceptions": {"cookies": {
        f"[*.]{TOOL_HOST},{top_level}": {"setting": BLOCK}}}}}}
    profile = folder / "profile"
    (profile / "Default").mkdir(parents=True)
    (profile / "Default" / "Preferences").write_text(json.dumps(preferences), encoding="utf-8")
    context = playwright.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True,
                                                            args=[*CHROMIUM_ARGS, *CROSS_SITE_ARGS])
    context.set_default_timeout(10_000)
    watch = Watch(cross_site.platform.origin)
    yield Tab(watched(context.new_page(), watch), watch)
    context.close()


@pytest.fixture()
def iframe_cookies_blocked(playwright: Playwright, cross_site: Lti, tmp_path: Path) -> Iterator[Tab]:
    """tool.test's cookies blocked in pages of platform.test; tool.test on its own keeps them."""
    yield from blocking_profile(playwright, cross_site, tmp_path, f"[*.]{PLATFORM_HOST}")


@pytest.fixture()
def tool_cookies_blocked(playwright: Playwright, cross_site: Lti, tmp_path: Path) -> Iterator[Tab]:
    """tool.test's cookies blocked everywhere, even in a window of its own."""
    yield from blocking_profile(playwright, cross_site, tmp_path, "*")


def cookie_kept(frame: Frame, attributes: str) -> bool:
    """Whether the browser keeps a cookie that `frame`'s script sets with `attributes` (removed again)."""
    kept: bool = frame.evaluate("""attributes => {
        document.cookie = "probe=1; Path=/; " + attributes;
        const kept = document.cookie.split("; ").includes("probe=1");
        document.cookie = "probe=; Max-Age=0; Path=/; " + attributes;
        return kept;
    }""", attributes)
    return kept


def test_third_party_cookies_blocked_the_partitioned_state_cookie_launches(third_party_blocked: Tab,
                                                                           cross_site: Lti) -> None:
    """The launch in the iframe, where an unpartitioned cookie is refused: the learner plays the lesson there and
    the platform gets exactly one FullyGraded score."""
    tab, lti, user = third_party_blocked, cross_site, "student-partitioned"
    learner = launch(tab, lti, user)
    assert not cookie_kept(learner.frame, THIRD_PARTY)
    assert cookie_kept(learner.frame, PARTITIONED)
    check_score(finish_and_grade(tab, lti, learner, user, right=True), lti, user, 100)
    check(tab, lti)


def test_no_cookie_in_the_iframe_the_module_opens_in_a_new_window(iframe_cookies_blocked: Tab,
                                                                   cross_site: Lti) -> None:
    """The login page in the iframe, where not even a partitioned cookie is kept, shows the message (focused) and
    the button; with the keyboard alone the learner opens the new window, where the module launches, is played,
    and sends exactly one FullyGraded score."""
    tab, lti, user = iframe_cookies_blocked, cross_site, "student-new-window"
    tab.page.goto(lti.platform.course_url(user))
    message = tab.page.frame_locator("#tool").locator("#lti-login-blocked")
    expect(message).to_be_visible()
    expect(message).to_contain_text("Відкрийте модуль у новому вікні")
    expect(message).to_be_focused()
    frame = tab.page.frame(url=lambda url: url.startswith(f"{lti.tool}/lti/login?"))
    assert frame is not None
    assert not cookie_kept(frame, PARTITIONED)
    found: list[str] = []
    axe(frame, "login page, cookies blocked", found)  # a child may be the one who reads it
    assert found == []
    button = message.get_by_role("button", name="Відкрити модуль у новому вікні")
    tab.page.keyboard.press("Tab")
    expect(button).to_be_focused()
    with tab.page.expect_popup() as opened:
        tab.page.keyboard.press("Enter")
    window = watched(opened.value, tab.watch)
    window.wait_for_url(f"{lti.tool}/lti/launch")
    learner = Learner(window.main_frame, lti.module)
    learner.wait_ready()
    # finish_and_grade's leave() takes the course page's iframe (the login page) back to the platform
    check_score(finish_and_grade(tab, lti, learner, user, right=True), lti, user, 100)
    check(tab, lti)


def test_cookies_refused_even_in_a_window_of_its_own_the_page_asks_for_an_adults_help(
        tool_cookies_blocked: Tab, cross_site: Lti) -> None:
    """The new window would fail the same way, so there the page offers no button again: it says, calmly, that
    the browser is set so, and whom to show the message to. Nothing reaches the platform's auth endpoint."""
    tab, lti, user = tool_cookies_blocked, cross_site, "student-no-cookies"
    tab.page.goto(lti.platform.course_url(user))
    in_frame = tab.page.frame_locator("#tool").locator("#lti-login-blocked")
    expect(in_frame).to_be_visible()
    with tab.page.expect_popup() as opened:
        in_frame.get_by_role("button", name="Відкрити модуль у новому вікні").click()
    window = watched(opened.value, tab.watch)
    refused = window.locator("#lti-login-refused")
    expect(refused).to_be_visible()
    expect(refused).to_be_focused()
    expect(refused).to_contain_text("Покажіть це повідомлення вчителеві")
    expect(window.locator("#lti-login-blocked")).to_be_hidden()
    assert not cookie_kept(window.main_frame, PARTITIONED) and not cookie_kept(window.main_frame, "")
    assert window.url.startswith(f"{lti.tool}/lti/login?")
    found: list[str] = []
    axe(window.main_frame, "login page in a window of its own, cookies refused", found)
    assert found == []
