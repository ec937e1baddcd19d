/* #stop_sexтинг: listen and «Прочитати вголос» buttons; core.js calls StopSpeech.hush() on a screen change. */
(function () {
  'use strict';
  var doc = document;
  // «Прочитати вголос» reads the screen, a listen button its recording or its parent's text: the browser's speech,
  // only with a Ukrainian voice. A button with nothing to play stays hidden.
  var speech = window.speechSynthesis;
  var playing = null; // a listen button's recording

  function $$(s) { return Array.prototype.slice.call(doc.querySelectorAll(s)); }
  function press(b, on) { b.setAttribute('aria-pressed', !!on); }
  function ukrainianVoice() {
    return speech ? speech.getVoices().filter(function (x) { return /^uk\b/i.test(x.lang); })[0] : null;
  }
  function offerSpeech() {
    var voice = ukrainianVoice();
    $$('.speak, .listen').forEach(function (b) { b.hidden = !voice && !b.getAttribute('data-audio'); });
  }
  function hush() {
    if (speech) speech.cancel();
    if (playing) playing.pause();
    $$('.speak, .listen').forEach(function (b) { press(b, false); });
  }
  function speak(button) {
    var voice = ukrainianVoice(), audio = button.getAttribute('data-audio');
    var talking = button.getAttribute('aria-pressed') === 'true';
    hush();
    if (talking || !(voice || audio)) return;
    var stop = function () { press(button, false); };
    press(button, true);
    if (audio) {
      playing = new window.Audio(audio);
      playing.onended = stop;
      playing.play().catch(stop);
      return;
    }
    var source = button.classList.contains('speak') ? button.closest('section, dialog') : button.parentNode;
    var said = new window.SpeechSynthesisUtterance(source.innerText.replace(/\s+/g, ' '));
    said.voice = voice;
    said.lang = voice.lang;
    said.onend = stop;
    speech.speak(said);
  }

  offerSpeech();
  if (speech) speech.addEventListener('voiceschanged', offerSpeech);
  doc.addEventListener('click', function (e) {
    var b = e.target.closest('.speak, .listen');
    if (b && !b.disabled && window.StopRuntime) speak(b); // not before core.js is ready
  });

  window.StopSpeech = { hush: hush };
}());
