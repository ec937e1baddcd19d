"""The login's state cookie must come back with the launch inside the platform's iframe, where it is a
third-party cookie: on https it is Secure, SameSite=None and Partitioned (CHIPS), which browsers that block
third-party cookies still keep, partitioned by the platform's site (lti.md §5 C1, §8 item 4); that case, and the
login page's test cookie with the same attributes, is test_launch_security.py's C1 login page test."""

from __future__ import annotations

from typing import Any

from tests.lti.platform import CLIENT_ID, DEPLOYMENT_ID, ISSUER, MODULE, PlatformKey, login_page, tool_app


def test_on_plain_http_it_stays_a_first_party_cookie(database_url: str) -> None:
    """Local testing (`make serve` on http): a Secure or Partitioned cookie would not be stored at all, and the
    login page's test cookie goes without them too."""
    key = PlatformKey()
    client = tool_app(database_url, lambda url: key.jwks()).test_client()
    query: dict[str, Any] = {"iss": ISSUER, "login_hint": "user-7", "target_link_uri": f"http://localhost/modules/{MODULE}",
                             "client_id": CLIENT_ID, "lti_deployment_id": DEPLOYMENT_ID}
    response = client.get("/lti/login", query_string=query)
    assert login_page(response)["cookie-attributes"] == ""
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("lti1p3-state-")]
    assert "HttpOnly" in cookie and "Secure" not in cookie and "Partitioned" not in cookie
