/* #stop_sexтинг runtime: what the SCORM 1.2 and 2004 adapters share (README.md). */
(function () {
  'use strict';

  // ADL's discovery: this window, then its parents (never the topmost window directly: cross-origin frames
  // throw), then the same from the opener. `name` is API or API_1484_11, `probe` a method it must have.
  function scan(win, name, probe, hops) {
    for (var n = 0; win && n <= hops; n++) {
      try {
        if (win[name] && typeof win[name][probe] === 'function') return win[name];
        if (!win.parent || win.parent === win) return null;
        win = win.parent;
      } catch (e) {
        return null; // a cross-origin frame on the way: no API reachable through it
      }
    }
    return null;
  }

  function discover(name, probe, hops) {
    var api = scan(window, name, probe, hops);
    try {
      if (!api && window.opener) api = scan(window.opener, name, probe, hops);
    } catch (e) { /* opener gone or cross-origin */ }
    return api;
  }

  function pad(n, width) {
    n = String(n);
    while (n.length < width) n = '0' + n;
    return n;
  }

  window.StopScorm = { discover: discover, pad: pad };
}());
