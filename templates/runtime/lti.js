/* #stop_sexтинг runtime adapter: the LTI tool's JSON API, authorised by the launch's session token (needs queue.js;
   README.md). */
(function () {
  'use strict';
  var adapters = window.StopAdapters = window.StopAdapters || {};
  var Queue = window.StopQueue.Queue, HttpError = window.StopQueue.HttpError, refused = window.StopQueue.refused;

  function Host(session) {
    this.api = session.api.replace(/\/$/, '');
    this.token = session.token;
    // Not `state`/`report`: instance fields by those names would hide the methods core.js calls.
    this.waitingState = null; // the newest state not yet sent
    this.waitingReport = null; // the newest report not yet sent
    this.sentReport = '';
    this.queue = new Queue(this.flush.bind(this));
    this.ended = false;
  }

  Host.prototype = {
    name: 'lti',

    send: function (method, path, body, keepalive) {
      var headers = { Authorization: 'Bearer ' + this.token };
      if (body != null) headers['Content-Type'] = 'application/json';
      var what = method + ' ' + path;
      return window.fetch(this.api + path, {
        method: method, headers: headers, body: body, keepalive: keepalive, credentials: 'omit', cache: 'no-store'
      }).then(function (response) {
        if (!response.ok) throw new HttpError(response.status, what);
        return response.json();
      });
    },

    start: function () {
      return this.send('GET', '/state').then(function (reply) {
        var state = typeof reply.state === 'string' ? reply.state : '';
        return { state: state, location: '', resumed: !!state };
      });
    },

    // Sends what is waiting; through the queue, one request at a time, so the server stores states in the
    // order they were made. Whatever piles up while a request is in flight is replaced by the newest.
    flush: function (keepalive) {
      var self = this, state = this.waitingState, report = this.waitingReport;
      this.waitingState = null;
      this.waitingReport = null;
      var scoring = function () { return report === null ? null : self.send('POST', '/score', report, keepalive); };
      var saving = state === null ? Promise.resolve() :
        this.send('PUT', '/state', JSON.stringify({ state: state }), keepalive);
      // The score after the state it comes from, so a resumed attempt matches its grade; but when the page
      // goes away (keepalive) both leave at once, as nothing runs after the page is gone.
      return (keepalive ? Promise.all([saving, scoring()]) : saving.then(scoring)).then(function () {
        if (report !== null) self.sentReport = report;
      }, function (error) {
        // A refusal (4xx: expired session, bad data) will not change on a retry; anything else waits for the
        // next change, unless something newer replaced it meanwhile.
        if (!refused(error)) {
          if (self.waitingState === null) self.waitingState = state;
          if (self.waitingReport === null) self.waitingReport = report;
        }
        window.console.warn('lti: ' + error.message);
      });
    },

    save: function (state) {
      if (this.ended) return;
      this.waitingState = state;
      this.queue.schedule();
    },

    record: function () {},

    // core.js reports on every save; only a change reaches the server, which grades final ones.
    report: function (r) {
      if (this.ended) return;
      var body = JSON.stringify({ status: r.status, raw: r.raw, progress: r.progress });
      if (body === this.sentReport || body === this.waitingReport) return;
      this.waitingReport = body;
      this.queue.schedule();
    },

    // Runs on pagehide: what is still waiting goes now, with keepalive so it outlives the page.
    finish: function () {
      if (this.ended) return;
      this.ended = true;
      this.flush(true);
    }
  };

  adapters.lti = {
    find: function () {
      var element = document.getElementById('lti-session');
      if (!element) return null;
      try {
        var session = JSON.parse(element.textContent);
        return typeof session.api === 'string' && typeof session.token === 'string' ? new Host(session) : null;
      } catch (e) {
        return null;
      }
    }
  };
}());
