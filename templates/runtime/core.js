/* #stop_sexтинг module runtime: screens, answers, feedback, scoring, resume (see README.md). */
(function () {
  'use strict';
  var doc = document;
  var D = JSON.parse(doc.getElementById('module-data').textContent);
  var OK = 'Правильно! Молодець.';
  var NOT_YET = 'Не зовсім так, і це нормально: прочитай пояснення, воно допоможе.';
  var SAME = 'Це та сама відповідь, що й першого разу. Зміни її за підказкою — і перевір ще раз.';

  function $(selector, root) { return (root || doc).querySelector(selector); }
  function $$(selector, root) { return Array.prototype.slice.call((root || doc).querySelectorAll(selector)); }
  function v(el) { return el.getAttribute('data-v'); }
  function text(el, value) { el.textContent = value; }
  // Answer controls: inputs (band C) or toggle buttons (bands A, B).
  function picked(el) { return el.checked || el.getAttribute('aria-pressed') === 'true'; }
  function press(el, on) { if (el.type === 'button') el.setAttribute('aria-pressed', !!on); else el.checked = on; }
  function value(el) { return el.value || v(el); }
  // Parts only some pages load (README.md, «Scripts»); quest.js is started below (`quest`).
  var young = window.StopYoung, talk = window.StopSpeech;

  var screens = $$('section.screen');
  var last = screens.length - 1;
  var next = $('#next');
  var prev = $('#prev');
  var navMsg = $('#nav-msg');
  var byId = {};
  var shownAt = Date.now();

  D.questions.forEach(function (q) {
    byId[q.id] = q;
    q.el = doc.getElementById('q-' + q.id);
    q.init = $$('.opt', q.el).map(v).join('');
    q.allowed = q.type === 'matching' ? $$('option, .place-slot', q.el).map(function (o) {
      return o.value || o.getAttribute('data-box') || '';
    }).join('') : q.init;
  });

  // ---- state
  function fresh(n) { return { v: 1, n: n, s: 0, m: 0, a: {}, w: {}, p: '', k: {}, g: '' }; }
  var S = fresh(1);

  function int(x, lo, hi) { return typeof x === 'number' && x % 1 === 0 && x >= lo && x <= hi ? x : lo; }

  function valid(q, a) {
    if (typeof a !== 'string' || !/^[a-z]+$/.test(a)) return false;
    var letters = a.split('');
    var known = letters.every(function (l) { return q.allowed.indexOf(l) >= 0; });
    if (q.type === 'single' || q.type === 'true-false') return known && a.length === 1;
    if (q.type === 'multiple') return known && letters.slice().sort().join('') === a && !/(.)\1/.test(a);
    if (q.type === 'ordering') return letters.slice().sort().join('') === q.init.split('').sort().join('');
    return known && a.length === q.count;
  }

  // Private notes stay in this browser, never in the LMS's state, which teachers can read. No control characters
  // (line breaks become spaces), no broken surrogate pairs, at most `max` characters.
  function clean(t, max) {
    t = String(t).replace(/[\r\n\t]+/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '').slice(0, max);
    return t.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(^|[^\ud800-\udbff])[\udc00-\udfff]/g, '$1');
  }

  var NOTES_KEY = 'stopsexting.' + D.module + '.notes';
  var notes = {};
  function storeNotes() {
    try { window.localStorage.setItem(NOTES_KEY, JSON.stringify(notes)); } catch (e) { /* blocked: unsaved */ }
  }
  try {
    var kept = JSON.parse(window.localStorage.getItem(NOTES_KEY) || '{}');
    D.reflections.forEach(function (r) {
      if (kept && typeof kept[r.id] === 'string') notes[r.id] = clean(kept[r.id], r.max);
    });
  } catch (e) { notes = {}; }

  function load(json) {
    var o;
    try { o = JSON.parse(json); } catch (e) { return null; }
    if (!o || o.v !== 1) return null;
    var st = fresh(int(o.n, 1, 999));
    st.s = int(o.s, 0, last);
    st.m = Math.max(st.s, int(o.m, 0, last));
    D.questions.forEach(function (q) {
      if (o.a && valid(q, o.a[q.id])) st.a[q.id] = o.a[q.id];
      // A first try is kept only where a hint offers a second one, and only when it was wrong.
      var w = o.w && o.w[q.id];
      if (q.hint && valid(q, w) && w !== q.correct) st.w[q.id] = w;
    });
    if (quest) quest.load(o, st);
    D.checklists.forEach(function (c) {
      var k = o.k && o.k[c.id];
      if (typeof k === 'string' && /^a?b?c?d?e?f?g?h?i?j?$/.test(k) &&
        k.split('').every(function (l) { return l.charCodeAt(0) - 97 < c.count; })) st.k[c.id] = k;
    });
    return st;
  }

  // ---- scoring
  // exporter/scoring.py is the model's definition: the weight when right at once, half after the hint.
  function score() {
    var earned = 0, max = D.maxScore, done = true, critical = true, parts = S.m + 1;
    D.questions.forEach(function (q) {
      var a = S.a[q.id];
      if (a == null) done = false;
      else parts++;
      if (a === q.correct) earned += S.w[q.id] == null ? q.weight : q.weight / 2;
      else if (q.critical) critical = false;
    });
    if (quest) {
      if (!quest.ended()) done = false;
      else parts++;
    }
    var raw = max ? Math.min(100, Math.round(100 * earned / max)) : null;
    var seenAll = S.m >= last && D.checklists.every(function (c) { return S.k[c.id] != null; });
    D.checklists.forEach(function (c) { if (S.k[c.id] != null) parts++; });
    var status = D.mastery == null ? (seenAll ? 'completed' : 'incomplete')
      : !done ? 'incomplete' : raw >= D.mastery && critical ? 'passed' : 'failed';
    // Progress reaches 1 exactly when the module is done (SCORM 2004 completion by measure relies on it).
    var total = D.screens.length + D.questions.length + D.checklists.length + (quest ? 1 : 0);
    var progress = status !== 'incomplete' ? 1 : Math.min(0.99, Math.floor(100 * parts / total) / 100);
    return { raw: raw, status: status, progress: progress };
  }

  // ---- host
  var adapters = window.StopAdapters || {};
  var host = null;
  Object.keys(adapters).some(function (name) {
    return name !== 'standalone' && (host = adapters[name].find(D));
  });
  host = host || adapters.standalone.find(D);
  var savedJson = '';
  var finished = false;
  var ready = false; // the host has started and the page shows the learner's state

  function save() {
    if (!ready) return;
    savedJson = JSON.stringify(S);
    host.save(savedJson, D.screens[S.s]);
  }

  function sync() {
    var sc = score();
    host.report({ status: sc.status, raw: sc.status === 'incomplete' ? null : sc.raw, max: 100,
      progress: sc.progress });
    save();
    paintResult(sc);
    paintNav();
  }

  // The latency runs from the screen (or scene) shown.
  function record(interaction) {
    interaction.latency = Date.now() - shownAt;
    host.record(interaction);
  }

  var quest = D.quest && window.StopQuest ? window.StopQuest({
    data: D, state: function () { return S; }, sync: sync, nav: paintNav, record: record, tag: tag, $: $, $$: $$,
    shown: function () { shownAt = Date.now(); }
  }) : null;

  // ---- questions
  function tag(el, label, good) {
    var t = $('.tag', el);
    if (!label) {
      if (t) t.remove();
      return;
    }
    if (!t) {
      t = doc.createElement('span');
      el.insertBefore(t, $('.fb', el));
    }
    t.className = 'tag ' + (good ? 'tag-ok' : 'tag-note');
    text(t, label);
  }

  // '' while incomplete: a card in the tap-to-place pool, a row without a target.
  function read(q) {
    if (q.type === 'ordering') return $('.place-pool .opt', q.el) ? '' : $$('.opt', q.el).map(v).join('');
    if (q.type === 'matching') {
      var picks = q.init.split('').map(function (l) {
        var o = $('.opt[data-v="' + l + '"]', q.el), s = $('select', o);
        return s ? s.value : o.closest('.place-slot').getAttribute('data-box');
      });
      return picks.indexOf('') >= 0 ? '' : picks.join('');
    }
    return $$('input, .card', q.el).filter(picked).map(value).join('');
  }

  // Locked with its feedback once `a` holds the answer; after a first wrong try (`w`) open, showing it and the hint.
  function paintQuestion(q) {
    var a = S.a[q.id], first = S.w[q.id], done = a != null, shown = done ? a : first;
    var list = $('.order', q.el), hint = $('.try-hint', q.el);
    if (list) (shown || q.init).split('').forEach(function (l) { list.appendChild($('[data-v="' + l + '"]', list)); });
    if ($('.place', q.el)) young.put(q.el, q.type, shown || null, q.init);
    $$('.opt', q.el).forEach(function (o, i) {
      var l = v(o), input = $('input, select, .card', o), fb = $('.fb', o), label = '', good = false, show = done;
      if (q.type === 'ordering') {
        good = l === q.correct[i];
        label = good ? '✓ На своєму місці' : 'Має бути на місці ' + (q.correct.indexOf(l) + 1);
      } else if (q.type === 'matching') {
        var p = l.charCodeAt(0) - 97, t = q.correct[p]; // the pair's place in the answer, wherever its card lies
        if (input) input.value = shown ? shown[p] : '';
        good = done && a[p] === t;
        label = good ? '✓ Правильно' : 'Правильна відповідь: ' +
          (done ? $('option[value="' + t + '"], [data-box="' + t + '"] .place-name', q.el).textContent : '');
      } else {
        var chosen = !!shown && shown.indexOf(l) >= 0, right = q.correct.indexOf(l) >= 0;
        press(input, chosen);
        good = right;
        label = chosen ? (right ? '✓ Правильно' : 'Твій вибір') : right ? 'Правильна відповідь' : '';
        show = done && (chosen || (right && q.type !== 'true-false'));
      }
      tag(o, done && label, good);
      fb.hidden = !show;
    });
    $$('input, select, .move, .card, .place-card, .place-box', q.el).forEach(function (b) { b.disabled = done; });
    if (hint) hint.hidden = done || first == null;
    $('.check', q.el).hidden = done;
    text($('.check', q.el), first == null ? 'Перевірити' : 'Перевірити ще раз');
    text($('.verdict', q.el), !done ? '' : a === q.correct ? OK : NOT_YET);
  }

  // Every try is an interaction. A first wrong answer to a question with a hint goes to `w` and opens the hint;
  // the next check, right or wrong, is final (`a`).
  function check(q) {
    var a = read(q), first = S.w[q.id];
    if (S.a[q.id] != null) return;
    if (!a || a === first) {
      text($('.verdict', q.el), a ? SAME : q.type === 'matching' ? 'Спершу обери відповідь для кожного рядка.'
        : q.type === 'multiple' ? 'Спершу обери хоча б одну відповідь.' : 'Спершу обери відповідь.');
      return;
    }
    var right = a === q.correct, again = q.hint && first == null && !right;
    if (again) S.w[q.id] = a;
    else S.a[q.id] = a;
    paintQuestion(q);
    record({ id: q.id, type: q.type, response: a, correct: q.correct, result: right ? 'correct' : 'wrong',
      weight: q.weight, objective: q.objective });
    sync();
    // Focus where the learner is: the hint before the second try, else the verdict (the button is gone).
    (again ? $('.try-hint', q.el) : $('.verdict', q.el)).focus();
  }

  function move(button) {
    var item = button.closest('li'), list = item.parentNode, up = button.getAttribute('data-move') < 0;
    var other = up ? item.previousElementSibling : item.nextElementSibling;
    if (other) list.insertBefore(up ? item : other, up ? other : item);
    button.focus();
    var items = $$('li', list);
    text($('.verdict', button.closest('.q')), '«' + $('.order-text', item).innerText + '»: місце ' +
      (items.indexOf(item) + 1) + ' з ' + items.length + '.');
  }

  // ---- checklists (filled in by the adult in a guided session)
  function paintChecklist(c) {
    var el = doc.getElementById('k-' + c.id), kept = S.k[c.id], done = kept != null;
    $$('input, .card', el).forEach(function (i) {
      press(i, done && kept.indexOf(value(i)) >= 0);
      i.disabled = done;
    });
    $('.save-checklist', el).hidden = done;
    text($('.verdict', el), done ? 'Відмітки збережено. Дякуємо!' : '');
  }

  function saveChecklist(el) {
    var c = D.checklists.filter(function (k) { return k.id === el.getAttribute('data-k'); })[0];
    S.k[c.id] = $$('input, .card', el).filter(picked).map(value).join('');
    paintChecklist(c);
    sync();
    $('.verdict', el).focus();
  }

  // ---- screens
  function pending(i) {
    if (D.questions.some(function (q) { return q.screen === i && S.a[q.id] == null; })) {
      return 'Щоб перейти далі, дай відповідь на запитання на цьому екрані й натисни «Перевірити».';
    }
    var why = quest && quest.pending(i);
    if (why) return why;
    if (D.checklists.some(function (c) { return c.screen === i && S.k[c.id] == null; })) {
      return 'Щоб перейти далі, дорослий відмічає, що вдалося, і натискає «Зберегти відмітки».';
    }
    return '';
  }

  function paintNav() {
    var why = pending(S.s);
    next.setAttribute('aria-disabled', !!why);
    if (!why) text(navMsg, '');
  }

  function show(i, focus) {
    S.s = i;
    S.m = Math.max(S.m, i);
    screens.forEach(function (el, k) { el.hidden = k !== i; });
    if (talk) talk.hush();
    text($('#progress'), 'Екран ' + (i + 1) + ' з ' + screens.length);
    $('#progress-meter').value = i + 1;
    prev.hidden = i === 0;
    next.hidden = i === last;
    text(navMsg, '');
    shownAt = Date.now();
    if (focus) {
      if (quest) quest.show(i);
      window.scrollTo(0, 0);
      $('.screen-title', screens[i]).focus();
    }
  }

  function paintResult(sc) {
    var box = $('#result'), retry = $('#retry'), graded = D.mastery != null, msg;
    if (young) msg = young.result(sc, D);
    else if (sc.status === 'passed') msg = sc.raw + '\u00a0%. Вітаємо, модуль пройдено!';
    else if (sc.status === 'completed') msg = 'Вітаємо, модуль пройдено! Дякуємо, що ти з нами.';
    else if (sc.status === 'failed') {
      msg = sc.raw + '\u00a0%. ' + (sc.raw < D.mastery ? 'Щоб пройти модуль, потрібно ' + D.mastery +
        '\u00a0%. ' : 'Щоб пройти модуль, на найважливіші запитання треба відповісти правильно. ') +
        'Помилятися — нормально, так ми вчимося. Спробуй ще раз: пояснення вже з тобою, у тебе вийде!';
    } else msg = graded ? 'Дай відповідь на всі запитання, і тут з’явиться твій результат.' : '';
    box.hidden = !msg;
    text($('#result-text'), msg);
    retry.hidden = sc.status !== 'failed';
  }

  function retry() {
    var role = S.g; // the player stays who they chose to be
    S = fresh(Math.min(999, S.n + 1));
    S.g = role;
    D.questions.forEach(paintQuestion);
    D.checklists.forEach(paintChecklist);
    if (quest) quest.paint(false);
    show(0, true);
    sync();
  }

  // ---- help dialog
  var dialog = $('#help');
  var opener = null;

  function openHelp() {
    opener = doc.activeElement;
    if (dialog.showModal) dialog.showModal();
    else dialog.setAttribute('open', '');
    var title = $('#help-title');
    title.setAttribute('tabindex', '-1');
    title.focus();
    save();
  }

  function closeHelp() {
    if (dialog.close) dialog.close();
    else dialog.removeAttribute('open');
  }

  dialog.addEventListener('close', function () {
    (opener && opener.focus ? opener : $('#help-open')).focus();
  });

  // ---- events
  doc.addEventListener('click', function (e) {
    var b = e.target.closest('button');
    if (e.target === dialog) { // a click on the backdrop, outside the dialog's box
      var r = dialog.getBoundingClientRect();
      if (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom) closeHelp();
    }
    if (!b || b.disabled) return;
    if (!ready && b.id !== 'help-open' && b.id !== 'help-close') return; // help works at once, the rest waits
    if (quest && quest.click(b)) return;
    var cls = b.classList;
    if (cls.contains('check')) check(byId[b.closest('.q').getAttribute('data-q')]);
    else if (cls.contains('move')) move(b);
    else if (cls.contains('save-checklist')) saveChecklist(b.closest('.checklist'));
    else if (b === next) {
      var why = pending(S.s);
      text(navMsg, why);
      if (why) navMsg.scrollIntoView({ block: 'nearest' });
      if (!why && S.s < last) {
        show(S.s + 1, true);
        sync();
      }
    } else if (b === prev && S.s > 0) {
      show(S.s - 1, true);
      sync();
    } else if (b.id === 'retry') retry();
    else if (b.id === 'help-open') openHelp();
    else if (b.id === 'help-close') closeHelp();
  });

  $$('textarea[data-r]').forEach(function (area) {
    var id = area.getAttribute('data-r');
    var max = +area.getAttribute('maxlength');
    area.addEventListener('input', function () {
      notes[id] = clean(area.value, max);
      storeNotes();
    });
  });

  doc.addEventListener('visibilitychange', function () {
    if (doc.visibilityState === 'hidden' && !finished) save();
  });

  window.addEventListener('pagehide', function () {
    if (finished || !ready) return;
    if (JSON.stringify(S) !== savedJson) save();
    finished = true;
    host.finish(score().status !== 'incomplete');
  });

  // ---- start
  // `started` is what host.start() gives: the bookmark alone (state lost) is not enough to resume, start afresh.
  function begin(started) {
    S = (started.state && load(started.state)) || S;
    if (started.mastery != null && D.mastery != null) D.mastery = started.mastery;
    ready = true;
    D.questions.forEach(paintQuestion);
    D.checklists.forEach(paintChecklist);
    $$('textarea[data-r]').forEach(function (area) { area.value = notes[area.getAttribute('data-r')] || ''; });
    if (quest) quest.paint(false);
    show(S.s, false);
    sync();

    window.StopRuntime = {
      data: D, host: host.name,
      state: function () { return JSON.parse(JSON.stringify(S)); },
      notes: function () { return JSON.parse(JSON.stringify(notes)); }
    };
  }

  // A host behind a server (cmi5, lti) starts asynchronously; if it cannot, the module runs as it would offline:
  // a child must never be stopped by a platform's failure.
  var starting = host.start();
  if (starting && typeof starting.then === 'function') {
    starting.then(begin, function (error) {
      window.console.warn('#stop_sexтинг: ' + host.name + ' did not start, progress stays in this browser: ' +
        (error && error.message));
      host = adapters.standalone.find(D);
      begin(host.start());
    });
  } else begin(starting);
}());
