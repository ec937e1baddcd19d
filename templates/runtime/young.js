/* #stop_sexтинг, bands A and B: picture cards, tap-to-place (tap, drag or keyboard) and star results (README.md). */
(function () {
  'use strict';
  var doc = document;
  var held = null; // the tap-to-place card picked up, its .opt
  var drag = null; // a card being dragged: {item, x, y, on}
  var dragged = false; // a drag has just ended: the click it leaves behind is not a tap

  function $(selector, root) { return (root || doc).querySelector(selector); }
  function $$(selector, root) { return Array.prototype.slice.call((root || doc).querySelectorAll(selector)); }
  function press(button, on) { button.setAttribute('aria-pressed', on ? 'true' : 'false'); }
  function say(el, words) { $('.verdict', el.closest('.q')).textContent = words; }
  function label(item) { return $('.place-card', item).textContent; }

  function hold(item) {
    if (held) press($('.place-card', held), false);
    held = held === item ? null : item;
    if (held) press($('.place-card', held), true);
    say(item, held ? 'Узято: «' + label(item) + '». Тепер торкнися місця.' : 'Картку поклали назад.');
  }

  // Ordering's places take one card each: a card already there goes where the new one came from.
  function drop(item, slot) {
    var into = $('.place-in', slot), other = $('.opt', into);
    if (other && other !== item && slot.getAttribute('data-box') && slot.closest('[data-type="ordering"]')) {
      item.parentNode.appendChild(other);
    }
    into.appendChild(item);
    press($('.place-card', item), false);
    held = null;
    say(slot, '«' + label(item) + '» — ' + $('.place-name', slot).textContent + '.');
  }

  // The cards where answer `a` puts them (the saved letters of README.md), or all back in the pool.
  function put(q, type, a, init) {
    var slots = $$('.place-slot', q);
    held = null;
    init.split('').forEach(function (l, i) {
      var item = $('.opt[data-v="' + l + '"]', q);
      var slot = !a ? slots[0] : type === 'ordering' ? slots[a.indexOf(l) + 1] : $('[data-box="' + a[i] + '"]', q);
      press($('.place-card', item), false);
      $('.place-in', slot).appendChild(item);
    });
  }

  // Stars, never a percentage nor «не пройдено» (the LMS still gets the real status and score); the words are the
  // page's (#result's data-*), band B's with the pass mark: `e`, the least score that reaches it.
  function result(sc, D) {
    var box = $('#result'), stars = sc.status !== 'failed' ? 3 : sc.raw >= 50 ? 2 : 1, at = $('#result-stars');
    var words = box.getAttribute('data-' + (sc.status === 'failed' ? 'failed' : sc.status !== 'incomplete' ? 'done'
      : D.mastery == null ? 'none' : 'wait')) || '';
    at.hidden = sc.status === 'incomplete';
    $('[aria-hidden]', at).textContent = '★★★☆☆'.substr(3 - stars, 3);
    $('.sr', at).textContent = 'Зірок: ' + stars + ' з 3.';
    for (var e = 0; e < D.maxScore && Math.round(100 * e / D.maxScore) < D.mastery; e++);
    return words.replace(/\{e\}/g, e);
  }

  doc.addEventListener('click', function (e) {
    var b = e.target.closest('button');
    if (dragged || !b || !window.StopRuntime) return; // core.js sets StopRuntime once the learner's state is shown
    var cls = b.classList, slot = b.closest('.place-slot');
    if (cls.contains('card')) { // single and true-false: one card; multiple and the adult's checklist: toggles
      var one = /^(single|true-false)$/.test(b.closest('fieldset').getAttribute('data-type'));
      if (one) $$('.card', b.closest('fieldset')).forEach(function (c) { press(c, false); });
      press(b, one || b.getAttribute('aria-pressed') !== 'true');
    } else if (cls.contains('place-card')) hold(b.parentNode);
    else if (cls.contains('place-box')) {
      if (held && held.closest('.q') === slot.closest('.q')) drop(held, slot);
      else say(slot, 'Спершу торкнися картки.');
    }
  });

  // Drag and drop with pointer events (mouse, pen and touch alike); the dragged card lets the pointer through
  // (style.css) so that the box under it is found.
  doc.addEventListener('pointerdown', function (e) {
    var b = e.target.closest('.place-card');
    drag = b && !b.disabled && window.StopRuntime ? { item: b.parentNode, x: e.clientX, y: e.clientY, on: false } : null;
  });
  doc.addEventListener('pointermove', function (e) {
    if (!drag) return;
    var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (!drag.on && dx * dx + dy * dy < 64) return;
    drag.on = true;
    drag.item.classList.add('dragging');
    drag.item.style.transform = 'translate(' + dx + 'px,' + dy + 'px)';
  });
  function end(e) {
    var d = drag;
    drag = null;
    if (!d || !d.on) return;
    d.item.classList.remove('dragging');
    d.item.style.transform = '';
    dragged = true;
    window.setTimeout(function () { dragged = false; });
    var at = e.type === 'pointerup' && doc.elementFromPoint(e.clientX, e.clientY);
    var slot = at && at.closest('.place-slot');
    if (slot && slot.closest('.q') === d.item.closest('.q')) drop(d.item, slot);
  }
  doc.addEventListener('pointerup', end);
  doc.addEventListener('pointercancel', end);

  window.StopYoung = { put: put, result: result };
}());
