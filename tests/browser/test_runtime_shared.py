"""The runtime's shared scripts on their own (templates/runtime/README.md): interactions.js, which keeps each
adapter's formats, and queue.js, the one-request-at-a-time save queue of the cmi5 and lti adapters."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import Watch
from tests.browser.harness import ROOT

pytestmark = pytest.mark.browser

RUNTIME = ROOT / "templates" / "runtime"


def test_interactions_keep_each_adapters_formats(page: Page, watch: Watch) -> None:
    """scorm2004's durations have the minutes after any hours and two decimals, cmi5's are the shortest."""
    page.add_script_tag(path=RUNTIME / "interactions.js")
    shared = "window.StopInteractions"
    assert page.evaluate(f"{shared}.TYPES") == {"single": "choice", "multiple": "choice", "true-false": "true-false",
                                                "ordering": "sequencing", "matching": "matching"}
    patterns = {("single", "b"): "b", ("multiple", "ac"): "a[,]c", ("true-false", "t"): "true",
                ("true-false", "f"): "false", ("ordering", "cab"): "c[,]a[,]b", ("matching", "ba"): "a[.]b[,]b[.]a"}
    for (kind, letters), expected in patterns.items():
        assert page.evaluate(f"([t, l]) => {shared}.pattern(t, l)", [kind, letters]) == expected
    durations = {-20: ("PT0.00S", "PT0S"), 0: ("PT0.00S", "PT0S"), 4: ("PT0.00S", "PT0S"), 5: ("PT0.01S", "PT0.01S"),
                 5100: ("PT5.10S", "PT5.1S"), 5250: ("PT5.25S", "PT5.25S"), 60000: ("PT1M0.00S", "PT1M0S"),
                 3600000: ("PT1H0M0.00S", "PT1H0S"), 3605000: ("PT1H0M5.00S", "PT1H5S"),
                 90061230: ("PT25H1M1.23S", "PT25H1M1.23S")}
    for ms, expected in durations.items():
        assert tuple(page.evaluate(f"ms => [{shared}.duration(ms, true), {shared}.duration(ms)]", ms)) == expected
    watch.check()


def test_the_queue_sends_one_request_at_a_time(page: Page, watch: Watch) -> None:
    """Schedules while a flush is in flight make one more flush after it, never a second one beside it."""
    page.add_script_tag(path=RUNTIME / "queue.js")
    seen = page.evaluate("""async () => {
      const calls = [], answers = [], counts = [];
      const tick = () => new Promise(resolve => setTimeout(resolve));
      const queue = new StopQueue.Queue(keepalive => {
        calls.push(keepalive);
        return new Promise(resolve => answers.push(resolve));
      });
      queue.schedule(); queue.schedule();
      await tick(); counts.push(calls.length);
      queue.schedule(); queue.schedule(); queue.schedule();
      await tick(); counts.push(calls.length);
      answers[0]();
      await tick(); counts.push(calls.length);
      answers[1]();
      await tick(); counts.push(calls.length);
      return {counts, calls};
    }""")
    assert seen == {"counts": [1, 1, 2, 2], "calls": [False, False]}
    refused = page.evaluate("""() => [400, 404, 499, 500, 503].map(status =>
      StopQueue.refused(new StopQueue.HttpError(status, 'PUT /state')))""")
    assert refused == [True, True, True, False, False]
    assert page.evaluate("StopQueue.refused(new TypeError('Failed to fetch'))") is False  # offline: retried
    assert page.evaluate("new StopQueue.HttpError(503, 'PUT /state').message") == "PUT /state: HTTP 503"
    watch.check()
