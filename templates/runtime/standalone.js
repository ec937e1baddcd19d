/* #stop_sexтинг runtime adapter: no host, progress kept in this browser's localStorage (see README.md). */
(function () {
  'use strict';
  var adapters = window.StopAdapters = window.StopAdapters || {};

  adapters.standalone = {
    find: function (data) {
      var key = 'stopsexting.' + data.module;
      var store = null;
      try {
        store = window.localStorage;
        store.getItem(key);
      } catch (e) {
        store = null; // storage blocked (private mode, sandboxed frame): the module still runs, unsaved
      }
      return {
        name: 'standalone',
        start: function () {
          var state = store ? store.getItem(key) : null;
          return { state: state, location: '', resumed: !!state };
        },
        save: function (state) {
          try {
            if (store) store.setItem(key, state);
          } catch (e) { /* quota or blocked: nothing else to do offline */ }
        },
        record: function () {},
        report: function () {},
        finish: function () {}
      };
    }
  };
}());
