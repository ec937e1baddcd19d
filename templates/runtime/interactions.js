/* #stop_sexтинг runtime: how the scorm12, scorm2004 and cmi5 adapters write results (README.md). */
(function () {
  'use strict';

  // Question type → interaction type: the same vocabulary in SCORM 1.2, SCORM 2004 and xAPI's cmi.interaction.
  var TYPES = { single: 'choice', multiple: 'choice', 'true-false': 'true-false', ordering: 'sequencing',
    matching: 'matching' };

  // Saved-answer letters → SCORM 2004 responses, which xAPI response patterns copy:
  // a[,]c · true · c[,]a[,]b · a[.]b[,]b[.]a
  function pattern(type, letters) {
    if (type === 'true-false') return letters === 't' ? 'true' : 'false';
    return letters.split('').map(function (l, i) {
      return type === 'matching' ? String.fromCharCode(97 + i) + '[.]' + l : l;
    }).join('[,]');
  }

  // ISO 8601 duration to the hundredth of a second (ADL and Moodle refuse more decimals): the shortest (PT1H5S, cmi5)
  // or `fixed` (PT1H0M5.00S, scorm2004), each what that adapter has always sent.
  function duration(ms, fixed) {
    var cs = Math.max(0, Math.round(ms / 10));
    var h = Math.floor(cs / 360000), m = Math.floor(cs / 6000) % 60, s = (cs % 6000) / 100;
    return 'PT' + (h ? h + 'H' : '') + (m || fixed && h ? m + 'M' : '') + (fixed ? s.toFixed(2) : s) + 'S';
  }

  window.StopInteractions = { TYPES: TYPES, pattern: pattern, duration: duration };
}());
