/* Ballots a tablet keeps while the network is away. A resident whose ballot cannot be sent
   may leave it on the tablet; the queue is delivered, oldest first, to /kiosk/queued as soon
   as the network is back (on load, on the browser's "online" event and every few seconds).
   The server casts each one if its code is still unused and the round still voting, and
   otherwise records it as late for the facilitator: either answer lets the tablet forget
   it. Errors worth a retry (no network, 5xx, 429) keep it. Server side:
   service/web/kiosk.py and service/voting/late.py. */
(function () {
  "use strict";

  var QUEUE = "redbench.kiosk.queue";
  var RETRY_MS = 5000;
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var status = document.getElementById("queue-status");
  var template = status ? status.getAttribute("data-template") : "";
  var busy = false;
  var timer = null;

  function read() {
    try { return JSON.parse(window.localStorage.getItem(QUEUE) || "[]") || []; } catch (e) { return []; }
  }

  function write(queue) {
    try {
      if (queue.length) { window.localStorage.setItem(QUEUE, JSON.stringify(queue)); } else { window.localStorage.removeItem(QUEUE); }
    } catch (e) { /* storage unavailable: nothing more can be done here */ }
    show(queue.length);
  }

  function show(count) {
    if (!status) { return; }
    status.textContent = count ? template.replace("{n}", count) : "";
    status.hidden = !count;
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(deliver, RETRY_MS);
  }

  function post(item) {
    return fetch("/kiosk/queued", {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(item)
    });
  }

  /* Deliver the oldest kept ballot, then the next, until the queue is empty or the network
     or the server asks to wait. */
  function deliver() {
    var queue = read();
    show(queue.length);
    if (busy || !queue.length) { return; }
    busy = true;
    post(queue[0]).then(function (response) {
      busy = false;
      if (response.status === 200) {
        var rest = read();
        if (rest.length && rest[0].key === queue[0].key) { rest.shift(); }
        write(rest);
        deliver();
      } else {
        later();
      }
    }, function () {
      busy = false;
      later();
    });
  }

  function add(item) {
    var queue = read();
    queue.push(item);
    write(queue);
    later();
  }

  window.addEventListener("online", deliver);
  window.redbenchQueue = { add: add, size: function () { return read().length; }, deliver: deliver };
  deliver();
})();
