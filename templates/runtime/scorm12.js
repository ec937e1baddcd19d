/* #stop_sexтинг runtime adapter: SCORM 1.2 (window.API found up the parent/opener chain; needs scorm.js and
   interactions.js). */
(function () {
  'use strict';
  var adapters = window.StopAdapters = window.StopAdapters || {};
  var pad = window.StopScorm.pad;
  var TYPES = window.StopInteractions.TYPES;

  // CMITimespan HHHH:MM:SS.SS (Moodle accepts 2–4 hour digits and at most 2 decimals).
  function timespan(ms) {
    var cs = Math.max(0, Math.round(ms / 10));
    return pad(Math.min(9999, Math.floor(cs / 360000)), 4) + ':' + pad(Math.floor(cs / 6000) % 60, 2) + ':' +
      pad(Math.floor(cs / 100) % 60, 2) + '.' + pad(cs % 100, 2);
  }

  function clock(d) {
    return pad(d.getHours(), 2) + ':' + pad(d.getMinutes(), 2) + ':' + pad(d.getSeconds(), 2);
  }

  // Saved-answer letters → SCORM 1.2 response formats: a,c · t · c,a,b · a.b,b.a
  function response(type, letters) {
    if (type === 'true-false') return letters;
    return letters.split('').map(function (l, i) {
      return type === 'matching' ? String.fromCharCode(97 + i) + '.' + l : l;
    }).join(',');
  }

  function Host(api) {
    this.api = api;
    this.n = 0;
    this.began = Date.now();
    this.ended = false;
  }

  Host.prototype = {
    name: 'scorm12',
    get: function (element) {
      var value = this.api.LMSGetValue(element);
      return value == null ? '' : String(value);
    },
    set: function (element, value) {
      if (!this.ended) this.api.LMSSetValue(element, String(value));
    },
    start: function () {
      this.api.LMSInitialize('');
      this.began = Date.now();
      this.n = parseInt(this.get('cmi.interactions._count'), 10) || 0;
      return { state: this.get('cmi.suspend_data'), location: this.get('cmi.core.lesson_location'),
        resumed: this.get('cmi.core.entry') === 'resume' };
    },
    save: function (state, location) {
      if (this.ended) return;
      this.set('cmi.suspend_data', state);
      this.set('cmi.core.lesson_location', location);
      this.api.LMSCommit('');
    },
    record: function (i) {
      var p = 'cmi.interactions.' + this.n + '.';
      this.set(p + 'id', i.id);
      if (i.objective) this.set(p + 'objectives.0.id', i.objective);
      this.set(p + 'time', clock(new Date()));
      this.set(p + 'type', TYPES[i.type]);
      if (i.correct != null) this.set(p + 'correct_responses.0.pattern', response(i.type, i.correct));
      this.set(p + 'weighting', i.weight);
      this.set(p + 'student_response', response(i.type, i.response));
      this.set(p + 'result', i.result); // correct, wrong or neutral: SCORM 1.2's own words
      this.set(p + 'latency', timespan(i.latency));
      this.n++;
    },
    report: function (r) {
      this.set('cmi.core.lesson_status', r.status);
      if (r.raw != null) {
        this.set('cmi.core.score.min', 0);
        this.set('cmi.core.score.max', 100);
        this.set('cmi.core.score.raw', r.raw);
      }
    },
    finish: function (done) {
      if (this.ended) return;
      this.set('cmi.core.session_time', timespan(Date.now() - this.began));
      this.set('cmi.core.exit', done ? '' : 'suspend');
      this.ended = true;
      this.api.LMSFinish('');
    }
  };

  adapters.scorm12 = {
    find: function () {
      var api = window.StopScorm.discover('API', 'LMSInitialize', 7);
      return api ? new Host(api) : null;
    }
  };
}());
