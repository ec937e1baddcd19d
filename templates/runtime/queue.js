/* #stop_sexтинг runtime: the save queue of the adapters that talk to a server, cmi5 and lti (README.md). */
(function () {
  'use strict';

  function HttpError(status, what) {
    this.status = status;
    this.message = what + ': HTTP ' + status;
  }

  // A refusal (4xx) will not change on a retry; a network error or a 5xx may.
  function refused(error) {
    return error.status >= 400 && error.status < 500;
  }

  // One request at a time, so the server stores things in the order they were made; whatever piles up while
  // one is in flight goes in the next. `flush(keepalive)` sends what is waiting and never rejects.
  function Queue(flush) {
    this.flush = flush;
    this.last = Promise.resolve();
    this.scheduled = false;
  }

  Queue.prototype.schedule = function () {
    var self = this;
    if (this.scheduled) return;
    this.scheduled = true;
    this.last = this.last.then(function () {
      self.scheduled = false;
      return self.flush(false);
    });
  };

  window.StopQueue = { Queue: Queue, HttpError: HttpError, refused: refused };
}());
