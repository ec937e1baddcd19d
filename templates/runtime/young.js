/* #stop_sexтинг, bands A and B: picture cards, tap-to-place (tap, drag, keyboard), stars (README.md). */
(function () {
  'use strict';
  var doc = document;
  // The card picked up (its .opt); the one under the pointer ({item, x, y, on}: `on` once it moves); a drag just
  // ended (the click it leaves is no tap).
  var held = null, drag = null, dragged = false;

  function $(s, root) { return (root || doc).querySelector(s); }
  function press(b, on) { b.setAttribute('aria-pressed', !!on); }
  function card(item) { return $('.place-card', item); }
  function say(el, words) { $('.verdict', el.closest('.q')).textContent = words; }

  function hold(item) {
    if (held) press(card(held), false);
    held = held === item ? null : item;
    if (held) press(card(held), true);
    say(item, held ? 'Узято: «' + card(item).textContent + '». Тепер торкнися місця.' : '');
  }

  // An ordering's place takes one card: the one already there goes where the new one came from.
  function drop(item, slot) {
    var into = $('.place-in', slot), other = $('.opt', into);
    if (other && slot.getAttribute('data-box') && slot.closest('[data-type=ordering]')) item.parentNode.appendChild(other);
    into.appendChild(item);
    press(card(item), false);
    held = null;
    say(slot, '«' + card(item).textContent + '» — ' + $('.place-name', slot).textContent + '.');
  }

  // The cards where answer `a` puts them, or all in the pool (slot 0) in `init` order.
  function put(q, type, a, init) {
    var slots = q.querySelectorAll('.place-slot');
    held = null;
    init.split('').forEach(function (l, i) {
      var item = $('.opt[data-v="' + l + '"]', q);
      press(card(item), false);
      $('.place-in', !a ? slots[0] : type === 'ordering' ? slots[a.indexOf(l) + 1]
        : $('[data-box="' + a[i] + '"]', q)).appendChild(item);
    });
  }

  // Stars (3: passed or completed; 2: half the score) and #result's data-* words, never a percentage; `{e}`: the
  // least score that reaches the mastery.
  function result(sc, D) {
    var at = $('#result-stars'), n = sc.status !== 'failed' ? 3 : sc.raw >= 50 ? 2 : 1;
    at.hidden = sc.status === 'incomplete';
    $('[aria-hidden]', at).textContent = '★★★☆☆'.substr(3 - n, 3);
    $('.sr', at).textContent = 'Зірок: ' + n + ' з 3.';
    for (var e = 0; e < D.maxScore && Math.round(100 * e / D.maxScore) < D.mastery; e++);
    return ($('#result').getAttribute('data-' + (sc.status === 'failed' ? 'failed' : at.hidden ? 'wait' : 'done')) ||
      '').replace('{e}', e);
  }

  doc.addEventListener('click', function (e) {
    var b = e.target.closest('button'), slot = b && b.classList.contains('place-box') && b.closest('.place-slot');
    if (dragged || !b || !window.StopRuntime) return; // core.js not ready
    if (b.classList.contains('card')) { // single, true-false: one card; multiple, checklists: toggles
      var group = b.closest('fieldset'), one = /^(single|true-false)$/.test(group.getAttribute('data-type'));
      if (one) group.querySelectorAll('.card').forEach(function (c) { press(c, false); });
      press(b, one || b.getAttribute('aria-pressed') !== 'true');
    } else if (b.classList.contains('place-card')) hold(b.parentNode);
    else if (slot) {
      if (held && held.closest('.q') === slot.closest('.q')) drop(held, slot);
      else say(slot, 'Спершу торкнися картки.');
    }
  });

  // Pointer events: mouse, pen and touch; the dragged card lets the pointer through (style.css).
  doc.addEventListener('pointerdown', function (e) {
    var b = e.target.closest('.place-card');
    drag = b && !b.disabled && window.StopRuntime ? { item: b.parentNode, x: e.clientX, y: e.clientY } : null;
  });
  doc.addEventListener('pointermove', function (e) {
    var dx = drag && e.clientX - drag.x, dy = drag && e.clientY - drag.y;
    if (!drag || !drag.on && dx * dx + dy * dy < 64) return;
    drag.on = true;
    drag.item.classList.add('dragging');
    drag.item.style.transform = 'translate(' + dx + 'px,' + dy + 'px)';
  });
  function end(e) {
    var d = drag, at = e.type === 'pointerup' && doc.elementFromPoint(e.clientX, e.clientY);
    var slot = at && at.closest('.place-slot');
    drag = null;
    if (!d || !d.on) return;
    d.item.classList.remove('dragging');
    d.item.style.transform = '';
    dragged = true;
    setTimeout(function () { dragged = false; });
    if (slot && slot.closest('.q') === d.item.closest('.q')) drop(d.item, slot);
  }
  doc.addEventListener('pointerup', end);
  doc.addEventListener('pointercancel', end);

  window.StopYoung = { put: put, result: result };
}());
