/* #stop_sexтинг runtime adapter: SCORM 2004 4th Edition (window.API_1484_11; needs scorm.js and interactions.js;
   README.md). */
(function () {
  'use strict';
  var adapters = window.StopAdapters = window.StopAdapters || {};
  var shared = window.StopInteractions;
  var TYPES = shared.TYPES, pattern = shared.pattern;
  var STATUS = { // runtime status → [cmi.completion_status, cmi.success_status]
    incomplete: ['incomplete', 'unknown'], completed: ['completed', 'unknown'],
    passed: ['completed', 'passed'], failed: ['completed', 'failed'] };
  var RESULT = { correct: 'correct', wrong: 'incorrect', neutral: 'neutral' }; // runtime result → cmi result

  // timeinterval with the minutes after any hours and two decimals: PT1H0M5.00S, PT5.10S.
  function duration(ms) {
    return shared.duration(ms, true);
  }

  // time (second, 10, 0): fractions of 1–2 digits, and a zone only after a fraction.
  function timestamp(d) {
    return d.toISOString().slice(0, 22) + 'Z';
  }

  function Host(api) {
    this.api = api;
    this.n = 0;
    this.began = Date.now();
    this.ended = false;
  }

  Host.prototype = {
    name: 'scorm2004',
    get: function (element) {
      var value = this.api.GetValue(element);
      return value == null ? '' : String(value);
    },
    set: function (element, value) {
      if (!this.ended) this.api.SetValue(element, String(value));
    },
    start: function () {
      this.api.Initialize('');
      this.began = Date.now();
      this.n = parseInt(this.get('cmi.interactions._count'), 10) || 0;
      // A new attempt has no saved data: reading it would only raise error 403 (not initialized).
      var entry = this.get('cmi.entry');
      if (entry === 'ab-initio') return { state: '', location: '', resumed: false };
      return { state: this.get('cmi.suspend_data'), location: this.get('cmi.location'), resumed: entry === 'resume' };
    },
    save: function (state, location) {
      if (this.ended) return;
      this.set('cmi.suspend_data', state);
      this.set('cmi.location', location);
      this.api.Commit('');
    },
    record: function (i) {
      var p = 'cmi.interactions.' + this.n + '.';
      this.set(p + 'id', i.id); // id first, then type, then what depends on the type
      this.set(p + 'type', TYPES[i.type]);
      if (i.objective) this.set(p + 'objectives.0.id', i.objective);
      this.set(p + 'timestamp', timestamp(new Date()));
      if (i.correct != null) this.set(p + 'correct_responses.0.pattern', pattern(i.type, i.correct));
      this.set(p + 'weighting', i.weight);
      this.set(p + 'learner_response', pattern(i.type, i.response));
      this.set(p + 'result', RESULT[i.result]);
      this.set(p + 'latency', duration(i.latency));
      this.n++;
    },
    report: function (r) {
      this.set('cmi.completion_status', STATUS[r.status][0]);
      this.set('cmi.success_status', STATUS[r.status][1]);
      this.set('cmi.progress_measure', r.progress);
      if (r.raw != null) { // Moodle grades from raw: always raw, min and max with scaled
        this.set('cmi.score.min', 0);
        this.set('cmi.score.max', 100);
        this.set('cmi.score.raw', r.raw);
        this.set('cmi.score.scaled', r.raw / 100);
      }
    },
    finish: function (done) {
      if (this.ended) return;
      this.set('cmi.session_time', duration(Date.now() - this.began));
      this.set('cmi.exit', done ? 'normal' : 'suspend');
      this.ended = true;
      this.api.Terminate('');
    }
  };

  adapters.scorm2004 = {
    find: function () {
      var api = window.StopScorm.discover('API_1484_11', 'Initialize', 500);
      return api ? new Host(api) : null;
    }
  };
}());
