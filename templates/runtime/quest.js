/* #stop_sexтинг, quests only: role picker, scenes, chats, meters; core.js drives it by StopQuest(ctx) (README.md). */
(function () {
  'use strict';
  var doc = document;
  var TYPING_MS = 900;
  var ctx, Q, $, $$, questEl, screen;
  var playing = 0; // a new chat (or a repaint) cancels one left half-played

  function text(el, value) { el.textContent = value; }
  function reveal(selector, root, on) { var el = $(selector, root); if (el) el.hidden = !on; }
  // A part with `if`/`unless` (a choice, or a message or block by data-if/data-unless) shows when the flags fit.
  function fits(cond, flags) { return (!cond['if'] || flags[cond['if']]) && (!cond.unless || !flags[cond.unless]); }

  // Where a path (one letter per choice, indexing the scene's YAML list) leads: the scene, the flags set and the
  // meters moved; null when it takes a choice its scene did not offer.
  function walk(path) {
    var id = Q.start, flags = {}, meters = {};
    Q.meters.forEach(function (m) { meters[m] = 0; });
    for (var i = 0; i < path.length; i++) {
      var choice = Q.scenes[id].choices[path.charCodeAt(i) - 97];
      if (!choice || !fits(choice, flags)) return null;
      Object.keys(choice.points).forEach(function (m) { meters[m] += choice.points[m]; });
      choice.sets.forEach(function (f) { flags[f] = true; });
      id = choice.next;
    }
    return { id: id, flags: flags, meters: meters, scene: Q.scenes[id] };
  }
  function ended() { return walk(ctx.state().p).scene.ending; }

  function paintMeters(meters) {
    $$('.meter', questEl).forEach(function (li) {
      var value = meters[li.getAttribute('data-meter')];
      $('meter', li).value = value;
      text($('.meter-value', li), String(value));
    });
  }

  // Chats play like a messenger: «друкує…», then the message, one by one; the reply buttons come after the
  // last. Under prefers-reduced-motion everything is there at once.
  function play(sceneEl) {
    var token = ++playing, log = $('.chat-log', sceneEl), typing = $('.typing', sceneEl);
    var choices = $('.choices', sceneEl);
    var queue = $$('.msg:not([data-reply])', log).filter(function (m) { return !m.hidden; });
    if (!queue.length || window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches) return;
    queue.forEach(function (m) { m.hidden = true; });
    choices.hidden = true;
    (function step() {
      if (token !== playing) return;
      var m = queue.shift();
      if (!m) {
        typing.hidden = true;
        choices.hidden = false;
        return;
      }
      var them = m.classList.contains('msg-them');
      typing.hidden = !them;
      if (them) text($('.typing-who', typing), $('.msg-from', m).textContent);
      window.setTimeout(function () {
        if (token !== playing) return;
        m.hidden = false;
        m.classList.add('msg-in');
        step();
      }, them ? TYPING_MS : TYPING_MS / 3);
    }());
  }

  // The role picker (roles, none picked yet) or the path's scene, with only the parts its flags allow; `animate`
  // plays its chat (a scene just reached).
  function paint(animate) {
    var S = ctx.state(), at = walk(S.p), picking = Q.roles.length > 0 && !S.g;
    playing++;
    if (S.g) doc.documentElement.setAttribute('data-gender', Q.roles[S.g.charCodeAt(0) - 97]);
    else doc.documentElement.removeAttribute('data-gender');
    reveal('.roles', questEl, picking);
    reveal('.meters', questEl, !picking);
    paintMeters(at.meters);
    $$('.scene', questEl).forEach(function (el) {
      var here = !picking && el.getAttribute('data-scene') === at.id;
      el.hidden = !here;
      // Messages a chat left half-played had hidden come back; then the path's flags decide.
      $$('.msg:not([data-reply])', el).forEach(function (m) { m.hidden = false; m.classList.remove('msg-in'); });
      $$('[data-if], [data-unless]', el).forEach(function (part) {
        part.hidden = !fits({ 'if': part.getAttribute('data-if'), unless: part.getAttribute('data-unless') }, at.flags);
      });
      $$('.choice', el).forEach(function (b) { b.disabled = false; ctx.tag(b, ''); });
      $$('.fb, [data-reply], .typing', el).forEach(function (f) { f.hidden = true; });
      reveal('.choices', el, true);
      reveal('.go', el, false);
      if (here && animate && $('.chat', el)) play(el);
    });
    return at;
  }

  // The next scene (after a role pick or «Далі»), its chat playing, focus on its title.
  function next() {
    var at = paint(true);
    ctx.shown();
    doc.getElementById('sc-' + at.id + '-t').focus();
  }

  // A decision is a story's choice, not an answer: a neutral interaction; only the check questions are graded.
  function choose(button) {
    var S = ctx.state(), sceneEl = button.closest('.scene'), id = sceneEl.getAttribute('data-scene'), at = walk(S.p);
    if (at.id !== id || at.scene.ending || button.hidden) return;
    var l = button.getAttribute('data-v'), choice = at.scene.choices[l.charCodeAt(0) - 97];
    if (!fits(choice, at.flags)) return;
    S.p += l;
    ctx.record({ id: id, type: 'single', response: l, correct: null, result: 'neutral', weight: 0,
      objective: choice.objective });
    ctx.sync();
    $$('.choice', sceneEl).forEach(function (b) { b.disabled = true; });
    ctx.tag(button, 'Твій вибір', false);
    var reply = $('[data-reply="' + l + '"]', sceneEl);
    if (reply) reply.hidden = false;
    paintMeters(walk(S.p).meters);
    var fb = $('.fb[data-fb="' + l + '"]', sceneEl);
    fb.hidden = false;
    $('.go', sceneEl).hidden = false;
    fb.focus();
  }

  window.StopQuest = function (c) {
    ctx = c;
    Q = c.data.quest;
    $ = c.$;
    $$ = c.$$;
    questEl = $('[data-quest]');
    screen = questEl ? +questEl.closest('section').getAttribute('data-screen') : -1;
    return {
      // A saved role and path into the new state `st` when they fit; with roles, no role means no path.
      load: function (o, st) {
        if (typeof o.g === 'string' && /^[a-z]$/.test(o.g) && o.g.charCodeAt(0) - 97 < Q.roles.length) st.g = o.g;
        if (typeof o.p === 'string' && /^[a-z]*$/.test(o.p) && walk(o.p) && (st.g || !Q.roles.length)) st.p = o.p;
      },
      ended: ended,
      pending: function (i) { // why «Далі» waits on screen i, or ''
        if (i !== screen || ended()) return '';
        return Q.roles.length && !ctx.state().g ? 'Щоб перейти далі, обери, ким ти граєш, і дограй історію до кінця.'
          : 'Щоб перейти далі, дограй історію до кінця.';
      },
      paint: paint,
      show: function (i) { if (i === screen) paint(true); }, // the chat plays again for one who comes (back)
      click: function (b) { // true when the button was the quest's
        var cls = b.classList, S = ctx.state();
        if (cls.contains('choice')) choose(b);
        else if (cls.contains('role')) {
          if (S.g) return true;
          S.g = b.getAttribute('data-v');
          next();
          ctx.sync();
        } else if (cls.contains('go')) {
          next();
          ctx.nav();
        } else return false;
        return true;
      }
    };
  };
}());
