/* Ballots a tablet keeps while the network is away. Each kept ballot is one localStorage
   entry of its own (so two pages on one tablet never overwrite each other), with the round
   it was marked for and that round's delivery ticket. The tablet delivers them, oldest
   first, to /kiosk/queued as soon as it can: on load, on the browser's "online" event and
   every few seconds while any are left (the "voting has closed" page does too).

   The server casts each one if its code is still unused and its round still voting, and
   otherwise records it as late for the facilitator; only such an answer ({"accepted": ...})
   lets the tablet forget a ballot. No network, a 5xx, 429 or an answer that is not the
   server's end this pass (tried again later); any other refusal leaves that ballot kept and
   moves on to the next, and the page says some cannot be sent from here.
   Server side: service/web/kiosk.py and service/voting/late.py. */
(function () {
  "use strict";

  var PREFIX = "redbench.kiosk.kept.";
  var RETRY_MS = 5000;
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var status = document.getElementById("queue-status");
  var busy = false;
  var timer = null;
  var stuckShown = false;

  function list() {
    var items = [];
    try {
      for (var i = 0; i < window.localStorage.length; i++) {
        var name = window.localStorage.key(i);
        if (name && name.indexOf(PREFIX) === 0) {
          var item = JSON.parse(window.localStorage.getItem(name) || "null");
          if (item && item.key) { items.push(item); }
        }
      }
    } catch (e) { /* storage unavailable: nothing kept */ }
    return items.sort(function (a, b) { return a.at - b.at; });
  }

  function remove(key) {
    try { window.localStorage.removeItem(PREFIX + key); } catch (e) { /* unavailable */ }
  }

  /* A request's JSON padded with spaces to `size` bytes (its round's padTo, see
     service/voting/padding.py), so every ballot of a round goes over the network at one
     length whatever was marked. */
  function padded(payload, size) {
    var body = JSON.stringify(payload);
    var missing = (size || 0) - new TextEncoder().encode(body).length - ',"pad":""'.length;
    if (missing <= 0) { return body; }
    return body.slice(0, -1) + ',"pad":"' + new Array(missing + 1).join(" ") + '"}';
  }

  /* Keep a ballot; true only if it is really stored (storage can be full or disabled). */
  function add(item) {
    var stored = { key: item.key, at: Date.now(), round_id: item.round_id, ticket: item.ticket, code: item.code, ballot: item.ballot, size: item.size };
    try {
      window.localStorage.setItem(PREFIX + item.key, JSON.stringify(stored));
      if (window.localStorage.getItem(PREFIX + item.key) === null) { return false; }
    } catch (e) {
      return false;
    }
    show(list().length, false);
    later();
    return true;
  }

  function show(count, stuck) {
    if (!status) { return; }
    stuckShown = stuck;
    var template = status.getAttribute(stuck ? "data-stuck" : "data-template") || "";
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
      body: padded({ round_id: item.round_id, ticket: item.ticket, code: item.code, key: item.key, ballot: item.ballot }, item.size)
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        return { status: response.status, body: body };
      });
    });
  }

  /* One pass over the kept ballots, oldest first. */
  function deliver() {
    var items = list();
    if (busy || !items.length) { show(items.length, false); return; }
    busy = true;
    var stuck = false;
    var next = 0;

    function finish() {
      busy = false;
      var left = list().length;
      show(left, stuck);
      if (left) { later(); }
    }

    function one() {
      if (next >= items.length) { finish(); return; }
      var item = items[next++];
      post(item).then(function (answer) {
        var body = answer.body;
        if (answer.status === 200 && body && typeof body.accepted === "boolean") {
          remove(item.key);
          one();
        } else if (!body || answer.status >= 500 || answer.status === 429 || body.code === "cast-retry" || body.code === "database-busy") {
          finish();
        } else {
          stuck = true;
          one();
        }
      }, finish);
    }

    one();
  }

  window.addEventListener("online", deliver);
  /* Say the count again, in the words now in the status line's data (the language switch). */
  function relabel() { show(list().length, stuckShown); }

  window.redbenchQueue = { add: add, size: function () { return list().length; }, deliver: deliver, padded: padded, relabel: relabel };
  deliver();
})();
