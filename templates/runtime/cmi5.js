/* #stop_sexтинг runtime adapter: cmi5, xAPI to the launch URL's LRS (needs interactions.js, queue.js; README.md). */
(function () {
  'use strict';
  var adapters = window.StopAdapters = window.StopAdapters || {};
  var LAUNCH = ['endpoint', 'fetch', 'actor', 'registration', 'activityId'];
  var VERBS = 'http://adlnet.gov/expapi/verbs/';
  var CMI5 = 'https://w3id.org/xapi/cmi5/context/';
  var CATEGORY = CMI5 + 'categories/cmi5';
  var MOVEON = CMI5 + 'categories/moveon';
  var MASTERY = CMI5 + 'extensions/masteryscore';
  var INTERACTION = 'http://adlnet.gov/expapi/activities/cmi.interaction';
  var STATE_ID = 'https://w3id.org/stopsexting/xapi/state';
  var I = window.StopInteractions, TYPES = I.TYPES, pattern = I.pattern, duration = I.duration; // PT1H5S, PT5.25S
  var Q = window.StopQueue, HttpError = Q.HttpError;

  // Statement ids are UUIDs the AU makes (cmi5 §9.1); getRandomValues works outside secure contexts too.
  function uuid() {
    var b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    return Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join('')
      .replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
  }

  function Host(launch, data) {
    this.launch = launch;
    this.actor = JSON.parse(launch.actor);
    this.endpoint = launch.endpoint.replace(/\/?$/, '/');
    this.data = data; // token, launchData, began: set by start()
    this.tracked = false; // Normal launch mode: only then may the AU record results or change its state
    this.judged = false; // passed or failed sent in this session
    this.doc = { state: '', reported: { verdict: '', completed: false } };
    this.outbox = [];
    this.dirty = false;
    this.queue = new Q.Queue(this.flush.bind(this));
    this.ended = false;
  }

  Host.prototype = {
    name: 'cmi5',

    send: function (method, path, query, body, keepalive) {
      var headers = { Authorization: 'Basic ' + this.token, 'X-Experience-API-Version': '1.0.3' };
      if (body != null) headers['Content-Type'] = 'application/json';
      var what = method + ' ' + path;
      return window.fetch(this.endpoint + path + (query ? '?' + query : ''), {
        method: method, headers: headers, body: body, keepalive: keepalive, credentials: 'omit', cache: 'no-store'
      }).then(function (response) {
        if (method === 'GET' && response.status === 404) return null; // no such document yet
        if (!response.ok) throw new HttpError(response.status, what);
        return method === 'GET' ? response.text() : null;
      });
    },

    // A State document of this AU (the LMS's activityId), learner and registration.
    stateQuery: function (stateId) {
      var l = this.launch;
      return 'activityId=' + encodeURIComponent(l.activityId) + '&agent=' + encodeURIComponent(l.actor) +
        '&registration=' + encodeURIComponent(l.registration) + '&stateId=' + encodeURIComponent(stateId);
    },

    // The handshake and every read, then `initialized`: a failure leaves no half-started session (standalone runs).
    start: function () {
      var self = this;
      return window.fetch(this.launch.fetch, { method: 'POST', credentials: 'omit', cache: 'no-store' })
        .then(function (response) { return response.json(); })
        .then(function (reply) {
          if (typeof reply['auth-token'] !== 'string') {
            throw new Error('fetch refused: ' + reply['error-code'] + ' ' + reply['error-text']);
          }
          self.token = reply['auth-token'];
          return Promise.all([
            self.send('GET', 'activities/state', self.stateQuery('LMS.LaunchData')),
            self.send('GET', 'agents/profile', 'agent=' + encodeURIComponent(self.launch.actor) +
              '&profileId=cmi5LearnerPreferences'),
            self.send('GET', 'activities/state', self.stateQuery(STATE_ID))
          ]);
        })
        .then(function (found) {
          var launchData = found[0] && JSON.parse(found[0]);
          if (!launchData || !launchData.contextTemplate) throw new Error('no LMS.LaunchData');
          self.launchData = launchData;
          self.tracked = launchData.launchMode === 'Normal';
          var saved = found[2] && JSON.parse(found[2]);
          if (saved && typeof saved.state === 'string' && saved.reported) self.doc = saved;
          self.began = Date.now();
          return self.send('POST', 'statements', '', JSON.stringify([self.statement('initialized', {}, true)]));
        })
        .then(function () {
          var score = self.launchData.masteryScore;
          return { state: self.doc.state, location: '', resumed: !!self.doc.state,
            mastery: typeof score === 'number' ? Math.round(score * 10000) / 100 : null };
        });
    },

    // The LMS's context template (a copy) plus registration and categories.
    statement: function (verb, result, cmi5, mastery) {
      var context = JSON.parse(JSON.stringify(this.launchData.contextTemplate));
      var activities = context.contextActivities = context.contextActivities || {};
      context.registration = this.launch.registration;
      if (cmi5) {
        var categories = [{ id: CATEGORY }];
        if ('success' in result || 'completion' in result) categories.push({ id: MOVEON });
        activities.category = (activities.category || []).concat(categories);
      }
      if (typeof mastery === 'number') (context.extensions = context.extensions || {})[MASTERY] = mastery;
      var statement = { id: uuid(), timestamp: new Date().toISOString(), actor: this.actor,
        verb: { id: VERBS + verb, display: { 'en-US': verb } },
        object: { objectType: 'Activity', id: this.launch.activityId }, context: context };
      if (Object.keys(result).length) statement.result = result;
      return statement;
    },

    post: function (statement) {
      this.outbox.push(statement);
      this.queue.schedule();
    },

    // Through the queue, one request at a time: statements keep their order, the newest state wins.
    flush: function (keepalive) {
      var self = this, batch = this.outbox, doc = this.dirty ? JSON.stringify(this.doc) : null;
      this.outbox = [];
      this.dirty = false;
      return Promise.all([
        batch.length ? this.send('POST', 'statements', '', JSON.stringify(batch), keepalive) : null,
        doc !== null ? this.send('PUT', 'activities/state', this.stateQuery(STATE_ID), doc, keepalive) : null
      ]).catch(function (error) {
        if (!Q.refused(error)) { // kept for the next request
          self.outbox = batch.concat(self.outbox);
          self.dirty = self.dirty || doc !== null;
        }
        window.console.warn('cmi5: ' + error.message);
      });
    },

    save: function (state) {
      if (!this.tracked || this.ended) return;
      this.doc.state = state;
      this.dirty = true;
      this.queue.schedule();
    },

    record: function (i) {
      if (!this.tracked || this.ended) return;
      // A neutral one (a quest decision) has no right answer: no success, no correct response pattern.
      var result = { response: pattern(i.type, i.response), duration: duration(i.latency) };
      var definition = { type: INTERACTION, interactionType: TYPES[i.type] };
      if (i.result !== 'neutral') {
        result.success = i.result === 'correct';
        definition.correctResponsesPattern = [pattern(i.type, i.correct)];
      }
      var s = this.statement('answered', result, false);
      s.object = { objectType: 'Activity', id: this.launch.activityId + '/interactions/' + encodeURIComponent(i.id),
        definition: definition };
      this.post(s);
    },

    // cmi5 §9.3: per registration one completed and one passed at most, no failed after passed; per session one
    // of passed/failed at most. `reported` is saved with the state, so later sessions know it.
    report: function (r) {
      if (!this.tracked || this.ended || r.status === 'incomplete') return;
      var reported = this.doc.reported, now = Date.now() - this.began;
      if (r.status !== 'completed' && r.status !== reported.verdict && reported.verdict !== 'passed' &&
          !this.judged) {
        this.judged = true;
        reported.verdict = r.status;
        this.dirty = true;
        this.post(this.verdict(r, now));
      }
      if (!reported.completed) {
        reported.completed = true;
        this.dirty = true;
        this.post(this.statement('completed', { completion: true, duration: duration(now) }, true));
      }
    },

    // A failure at or above the mastery score (a critical question wrong) carries no score: cmi5 allows a failed
    // score only below it.
    verdict: function (r, ms) {
      var passed = r.status === 'passed', given = this.launchData.masteryScore;
      var mastery = typeof given === 'number' ? given : this.data.mastery / 100;
      var result = { success: passed, duration: duration(ms) };
      if (r.raw != null && (passed || r.raw / 100 < mastery)) {
        result.score = { scaled: r.raw / 100, raw: r.raw, min: 0, max: 100 };
      }
      return this.statement(passed ? 'passed' : 'failed', result, true, given);
    },

    // On pagehide: what is waiting goes with keepalive, which outlives the page.
    finish: function () {
      if (this.ended) return;
      this.outbox.push(this.statement('terminated', { duration: duration(Date.now() - this.began) }, true));
      this.ended = true;
      this.flush(true);
      if (this.launchData.returnURL) window.location.assign(this.launchData.returnURL);
    }
  };

  adapters.cmi5 = {
    find: function (data) {
      var query = new URLSearchParams(window.location.search), launch = {};
      var complete = LAUNCH.every(function (name) { return (launch[name] = query.get(name)); });
      if (!complete) return null;
      try {
        return new Host(launch, data);
      } catch (e) {
        return null; // an actor that is not JSON: not a cmi5 launch
      }
    }
  };
}());
