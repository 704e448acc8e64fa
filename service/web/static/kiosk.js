/* The tablet ballot: code -> ballot -> review -> submit -> receipt -> hand-over to the next
   resident. The code step asks the server whether the code can vote now (household rule
   included), so a refusal comes before any ranking. A submitted ballot is kept in
   localStorage only until the server answers; if the network is lost it is resent with the
   same idempotency key (never lost, never doubled), then wiped.
   The language switch changes the words in place (all languages are fetched once the page
   is loaded), so the ballot in progress — code, marks, step — stays in memory as it was;
   nothing of it goes to storage. Every hand-over returns to the round's language, normal
   text size and contrast. Server side: service/web/kiosk.py, kiosk_words.py, receipt.py. */
(function () {
  "use strict";

  var RETRY_MS = 3000;
  var data = JSON.parse(document.getElementById("kiosk-data").textContent);
  /* On a resident's own phone (data.mode "phone", service/web/phone.py and phone.js) the
     same steps, with no hand-over, no countdowns and no keeping for later: a ballot is only
     sent again with its key while the page is open. */
  var phone = data.mode === "phone";
  var paths = data.paths || { code: "/kiosk/code", ballots: "/kiosk/ballots", queued: "/kiosk/queued", words: "/kiosk/words", receipt: "/kiosk/receipt" };
  var PENDING = phone ? "redbench.phone.pending." + data.round : "redbench.kiosk.pending";
  var words = data.words;
  var lang = data.lang.shown;
  var W = words[lang];
  var messages = W.messages;
  var said = null;
  var noted = null;
  var langLinks = Array.prototype.slice.call(document.querySelectorAll("nav.lang a"));
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var ballotStep = document.getElementById("step-ballot");
  var kind = ballotStep.getAttribute("data-kind");
  var truncation = ballotStep.getAttribute("data-truncation") === "yes";
  var maxApprovals = parseInt(ballotStep.getAttribute("data-max-approvals"), 10) || 0;
  var budget = ballotStep.getAttribute("data-budget");
  budget = budget === "" ? null : parseInt(budget, 10);
  var overBudget = ballotStep.getAttribute("data-over-budget") === "yes";
  var options = Array.prototype.slice.call(document.querySelectorAll("button.option"));
  var scoreSets = Array.prototype.slice.call(document.querySelectorAll("fieldset.score"));
  var alertBox = document.getElementById("alert");
  var codeInput = document.getElementById("code");
  var orderList = document.getElementById("order");
  var state = fresh();

  function fresh() {
    return { code: "", chosen: [], sending: false, retry: null, ticker: null, qr: null, receipt: null };
  }

  function $(id) { return document.getElementById(id); }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  function yuan(cents) {
    var amount = (cents / 100).toLocaleString(lang === "zh" ? "zh-CN" : "en-US");
    return fill(W.yuan, { amount: amount });
  }

  function show(step) {
    var steps = document.querySelectorAll("section.step");
    for (var i = 0; i < steps.length; i++) { steps[i].hidden = steps[i].id !== step; }
    var heading = $(step).querySelector("h1");
    if (heading) { heading.focus(); }
  }

  /* What the alert says: a message by its key (said again in the new language after a
     switch), or the server's own words for a refusal the tablet has no message for. */
  function say(text) {
    said = null;
    alertBox.textContent = text || "";
    alertBox.hidden = !text;
  }

  function sayMessage(key, values) {
    say(fill(messages[key] || "", values || {}));
    said = { key: key, values: values || {} };
  }

  function sayRefusal(code, body) {
    if (code && messages[code]) { sayMessage(code); return; }
    if (body && body.message) { say(body.message); return; }
    sayMessage("failed");
  }

  function note(key) {
    noted = key;
    $("sending-note").textContent = key ? messages[key] : "";
  }

  function post(url, payload) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: {
        "Content-Type": "application/json",
        "Accept-Language": lang,
        "X-CSRFToken": csrf
      },
      body: url === paths.ballots || url === paths.queued ? window.redbenchQueue.padded(payload, data.padTo) : JSON.stringify(payload)
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        return { status: response.status, body: body };
      });
    });
  }

  /* ---- step 1: the one-time code ---- */
  $("code-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var typed = codeInput.value.trim().replace(/^[^#]*#/, "");  /* a slip's link, scanned */
    if (!typed) { sayMessage("code-unknown"); codeInput.focus(); return; }
    say("");
    post(paths.code, { code: typed }).then(function (answer) {
      if (answer.status === 200) {
        state.code = typed;
        codeInput.value = "";
        render();
        show("step-ballot");
        return;
      }
      var code = answer.body && answer.body.code;
      if (closing(code)) { closed(code, answer.body); return; }
      sayRefusal(code, answer.body);  /* unknown, void, used, or the household has voted */
      codeInput.select();
    }, function () {
      /* No network: take a code that looks right and check it when the ballot is sent. */
      if (!plausible(typed)) { sayMessage("code-unknown"); codeInput.select(); return; }
      state.code = typed;
      codeInput.value = "";
      render();
      show("step-ballot");
      sayMessage("code-unchecked");
    });
  });

  function plausible(typed) {
    var chars = typed.toUpperCase().replace(/[\s-]/g, "").replace(/O/g, "0").replace(/[IL]/g, "1");
    return /^[0-9ABCDEFGHJKMNPQRSTVWXYZ]{10}$/.test(chars);
  }

  /* ---- step 2: marking the ballot ---- */
  function cost(name) {
    for (var i = 0; i < options.length; i++) {
      if (options[i].getAttribute("data-name") === name) {
        return parseInt(options[i].getAttribute("data-cost"), 10) || 0;
      }
    }
    return 0;
  }

  function spent() {
    return state.chosen.reduce(function (sum, name) { return sum + cost(name); }, 0);
  }

  function toggle(button) {
    var name = button.getAttribute("data-name");
    var at = state.chosen.indexOf(name);
    say("");
    if (at >= 0) {
      state.chosen.splice(at, 1);
    } else if (kind !== "ranked" && maxApprovals && state.chosen.length >= maxApprovals) {
      sayMessage("too-many-choices", { most: maxApprovals });
      return;
    } else if (kind === "budget" && !overBudget && budget !== null && spent() + cost(name) > budget) {
      sayMessage("over-budget");
      return;
    } else {
      state.chosen.push(name);
    }
    render();
  }

  options.forEach(function (button) {
    button.addEventListener("click", function () { toggle(button); });
  });

  function render() {
    options.forEach(function (button) {
      var name = button.getAttribute("data-name");
      var at = state.chosen.indexOf(name);
      var badge = button.querySelector(".badge");
      var mark = button.querySelector(".state");
      button.setAttribute("aria-pressed", at >= 0 ? "true" : "false");
      if (kind === "ranked") {
        badge.textContent = at >= 0 ? String(at + 1) : "";
        mark.textContent = at >= 0 ? fill(W.rank, { n: at + 1 }) : "";
      } else {
        var fits = overBudget || budget === null || at >= 0 || spent() + cost(name) <= budget;
        badge.textContent = at >= 0 ? "✓" : "";
        mark.textContent = at >= 0 ? messages.chosen : (fits ? "" : messages["no-room"]);
        button.classList.toggle("nofit", kind === "budget" && !fits);
      }
    });
    if (kind === "budget" && budget !== null) {
      $("money-left").textContent = fill(W.left, { money: yuan(budget - spent()) });
    }
    if (orderList) { renderOrder(); }
    var noMore = $("no-more");
    var all = state.chosen.length === options.length;
    if (kind === "ranked") {
      if (noMore) { noMore.hidden = !(state.chosen.length > 0 && !all); }
      $("review").hidden = !all;
    }
  }

  function renderOrder() {
    var focused = document.activeElement && document.activeElement.getAttribute("data-move");
    var focusName = focused ? document.activeElement.getAttribute("data-for") : null;
    orderList.textContent = "";
    state.chosen.forEach(function (name, i) {
      var item = document.createElement("li");
      item.setAttribute("data-name", name);
      var handle = document.createElement("span");
      handle.className = "handle";
      handle.setAttribute("aria-hidden", "true");
      handle.textContent = "☰";
      var place = document.createElement("span");
      place.className = "place";
      place.textContent = fill(W.rank, { n: i + 1 });
      var who = document.createElement("span");
      who.className = "who";
      who.textContent = name;
      item.appendChild(handle);
      item.appendChild(place);
      item.appendChild(who);
      [["up", -1, "↑"], ["down", 1, "↓"]].forEach(function (move) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "secondary";
        button.textContent = move[2];
        button.setAttribute("data-move", move[0]);
        button.setAttribute("data-for", name);
        button.setAttribute("aria-label", fill(messages["move-" + move[0]], { name: name }));
        button.disabled = (move[1] < 0 && i === 0) || (move[1] > 0 && i === state.chosen.length - 1);
        button.addEventListener("click", function () { moveTo(name, i + move[1]); });
        item.appendChild(button);
      });
      item.addEventListener("pointerdown", startDrag);
      orderList.appendChild(item);
    });
    if (focusName) {
      var again = orderList.querySelector('button[data-for="' + CSS.escape(focusName) + '"][data-move="' + focused + '"]');
      if (again && !again.disabled) { again.focus(); }
      else if (again) { again.parentNode.querySelector("button:not([disabled])").focus(); }
    }
  }

  function moveTo(name, place) {
    var from = state.chosen.indexOf(name);
    if (from < 0 || place < 0 || place >= state.chosen.length) { return; }
    state.chosen.splice(from, 1);
    state.chosen.splice(place, 0, name);
    render();
  }

  /* dragging a ranked option up or down the list (touch or mouse) */
  function startDrag(event) {
    if (event.target.closest("button")) { return; }
    var item = event.currentTarget;
    var name = item.getAttribute("data-name");
    item.classList.add("dragging");
    item.setPointerCapture(event.pointerId);
    function place(y) {
      var items = orderList.querySelectorAll("li");
      var at = 0;
      for (var i = 0; i < items.length; i++) {
        var box = items[i].getBoundingClientRect();
        if (y > box.top + box.height / 2) { at = i; }
      }
      return at;
    }
    function end(up) {
      item.removeEventListener("pointerup", end);
      item.removeEventListener("pointercancel", end);
      item.classList.remove("dragging");
      if (up.type === "pointerup") { moveTo(name, place(up.clientY)); }
    }
    item.addEventListener("pointerup", end);
    item.addEventListener("pointercancel", end);
  }

  $("clear").addEventListener("click", function () {
    state.chosen = [];
    scoreSets.forEach(function (set) { set.querySelector('input[value="0"]').checked = true; });
    say("");
    render();
  });

  function scores() {
    var out = {};
    scoreSets.forEach(function (set) {
      var picked = set.querySelector("input:checked");
      var value = picked ? parseInt(picked.value, 10) : 0;
      if (value > 0) { out[set.getAttribute("data-name")] = value; }
    });
    return out;
  }

  function ballot() {
    if (kind === "ranked") {
      return { kind: "ranked", ranking: state.chosen.map(function (name) { return [name]; }) };
    }
    if (kind === "score") { return { kind: "score", scores: scores() }; }
    return { kind: kind, approved: state.chosen.slice() };
  }

  function toReview() {
    var marked = kind === "score" ? Object.keys(scores()).length : state.chosen.length;
    if (!marked) { sayMessage("empty"); return; }
    say("");
    fillReview();
    show("step-review");
  }

  function fillReview() {
    var list = $("review-list");
    list.textContent = "";
    var lines = [];
    if (kind === "ranked") {
      lines = state.chosen.map(function (name, i) { return fill(W.rank, { n: i + 1 }) + "：" + name; });
    } else if (kind === "score") {
      var given = scores();
      lines = scoreSets.map(function (set) {
        var name = set.getAttribute("data-name");
        return name + "：" + fill(W.score, { score: given[name] || 0 });
      });
    } else {
      lines = state.chosen.slice();
      if (kind === "budget") { lines.push(fill(messages.total, { money: yuan(spent()) })); }
    }
    lines.forEach(function (line) {
      var item = document.createElement("li");
      item.textContent = line;
      list.appendChild(item);
    });
  }

  $("review").addEventListener("click", toReview);
  if ($("no-more")) { $("no-more").addEventListener("click", toReview); }
  $("back").addEventListener("click", function () { show("step-ballot"); });

  /* ---- step 3: sending, kept on the tablet until the server answers ---- */
  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function kept() {
    try { return JSON.parse(window.localStorage.getItem(PENDING) || "null"); } catch (e) { return null; }
  }

  function keep(pending) {
    try { window.localStorage.setItem(PENDING, JSON.stringify(pending)); } catch (e) { /* full */ }
  }

  function forget() {
    try { window.localStorage.removeItem(PENDING); } catch (e) { /* unavailable */ }
  }

  $("submit").addEventListener("click", function () {
    var pending = { code: state.code, key: newKey(), ballot: ballot(), round_id: data.round, ticket: data.ticket, size: data.padTo, offline: false };
    keep(pending);
    send(pending);
  });

  /* While the network works, a ballot goes to /kiosk/ballots and any refusal is shown to the
     resident standing there. Once it has failed, the resident may have walked away: the
     ballot goes the way of kept ballots (/kiosk/queued), so that if it can no longer count
     the facilitator is told. */
  function send(pending) {
    if (state.sending) { return; }
    state.sending = true;
    window.clearTimeout(state.retry);
    note("retrying");
    if (document.querySelector("section.step:not([hidden])").id !== "step-sending") { show("step-sending"); }
    var request = pending.offline
      ? post(paths.queued, { round_id: pending.round_id, ticket: pending.ticket, code: pending.code, key: pending.key, ballot: pending.ballot })
      : post(paths.ballots, { code: pending.code, key: pending.key, ballot: pending.ballot });
    request.then(function (answer) {
      state.sending = false;
      answered(pending, answer);
    }, function () {
      state.sending = false;
      waitForNetwork(pending);
    });
  }

  function waitForNetwork(pending) {
    if (!pending.offline && !phone) {
      pending.offline = true;
      keep(pending);
    }
    note("offline");
    $("keep-later").hidden = phone;
    state.retry = window.setTimeout(function () { send(pending); }, RETRY_MS);
  }

  /* Leave the ballot on the tablet, delivered when the network is back (kiosk-queue.js),
     and free the tablet for the next resident. */
  function keepForLater(pending) {
    window.clearTimeout(state.retry);
    if (!window.redbenchQueue.add(pending)) {
      sayMessage("keep-failed");
      waitForNetwork(pending);
      return;
    }
    forget();
    state.code = "";
    show("step-kept");
    countdown(handOver, data.resetSeconds, 0);
  }

  $("keep-later").addEventListener("click", function () {
    var pending = kept();
    if (pending && !state.sending) { keepForLater(pending); }
  });

  function answered(pending, answer) {
    var body = answer.body || {};
    var code = body.code;
    if (pending.offline && answer.status === 200 && typeof body.accepted === "boolean") {
      forget();
      if (body.accepted) { receipt(body.receipt); } else { refused(body.reason, null); }
    } else if (!pending.offline && (answer.status === 200 || answer.status === 201) && body.tracker) {
      forget();
      receipt(body);
    } else if (!answer.body || answer.status >= 500 || answer.status === 429 || code === "cast-retry" || code === "database-busy") {
      waitForNetwork(pending);
    } else if (pending.offline) {
      keepForLater(pending);  /* it cannot be delivered from here now: keep it, never drop it */
    } else {
      forget();
      refused(code, body);
    }
  }

  function refused(code, body) {
    if (closing(code)) { closed(code, body); return; }
    if (code && code.indexOf("code-") === 0 || code === "household-voted") {
      clearBallot();  /* the same resident is still here: their language stays */
      sayRefusal(code, body);
      return;
    }
    show("step-ballot");
    sayRefusal(code, body);
  }

  function closing(code) {
    return code === "round-not-open" || code === "tablet-not-enrolled" || code === "phone-window-closed";
  }

  function closed(code, body) {
    clearBallot();
    show("step-closed");
    sayRefusal(code, body);
  }

  window.addEventListener("online", function () {
    var pending = kept();
    if (pending) { send(pending); }
  });

  /* ---- step 4: the receipt (to write down, or its QR code to photograph), then a clean
     tablet for the next resident ---- */
  function receipt(body) {
    state.code = "";
    $("tracker-short").textContent = body.short;
    $("tracker-full").textContent = body.grouped;
    show("step-receipt");
    if (!phone) { countdown(handOver, data.receiptSeconds, data.quietSeconds); }
    if (data.openReceipts) {
      /* open receipts: the board shows what this ballot says to anyone with the number, so
         the QR code waits for the resident's tap and the screen for at most a minute */
      state.receipt = body;
      $("show-qr").hidden = false;
    } else {
      drawQr(body);
    }
  }

  if (data.openReceipts) {
    $("show-qr").addEventListener("click", function () {
      if (!state.receipt) { return; }
      $("show-qr").hidden = true;
      drawQr(state.receipt);
    });
  }

  /* The QR code of the board's receipt check for this tracker (the round and the tracker,
     nothing else). Without an answer the receipt is shown without it. */
  function drawQr(body) {
    var asked = {};
    state.qr = asked;
    post(paths.receipt, { round_id: body.round_id, tracker: body.tracker }).then(function (answer) {
      var made = answer.body;
      if (state.qr !== asked || answer.status !== 200 || !made || !made.path) { return; }
      var svg = $("receipt-qr-code");
      svg.setAttribute("viewBox", "0 0 " + made.size + " " + made.size);
      svg.querySelector("path").setAttribute("d", made.path);
      $("receipt-qr").setAttribute("data-link", made.link);
      $("receipt-qr").hidden = false;
    }, function () { /* no network now: the number on the screen is the receipt */ });
  }

  function clearQr() {
    if (data.openReceipts) { $("show-qr").hidden = true; }
    $("receipt-qr").hidden = true;
    $("receipt-qr").removeAttribute("data-link");
    $("receipt-qr-code").querySelector("path").setAttribute("d", "");
  }

  /* Counts `seconds` down, then `then`; the words show only for the last `quiet` seconds
     (all along when `quiet` is 0). */
  function countdown(then, seconds, quiet) {
    var left = seconds;
    var shown = document.querySelector("section.step:not([hidden]) .countdown");
    function tell() {
      shown.textContent = !quiet || left <= quiet ? fill(messages.countdown, { seconds: left }) : "";
    }
    tell();
    state.ticker = window.setInterval(function () {
      left -= 1;
      tell();
      if (left <= 0) { then(); }
    }, 1000);
  }

  /* Forget this ballot: code, marks, receipt, messages. */
  function clearBallot() {
    window.clearInterval(state.ticker);
    window.clearTimeout(state.retry);
    forget();
    state = fresh();
    codeInput.value = "";
    ["tracker-short", "tracker-full", "countdown", "kept-countdown", "review-list"].forEach(function (id) {
      $(id).textContent = "";
    });
    note(null);
    clearQr();
    $("keep-later").hidden = true;
    scoreSets.forEach(function (set) { set.querySelector('input[value="0"]').checked = true; });
    say("");
    render();
    window.history.replaceState(null, "", window.location.pathname);
    show("step-code");
  }

  /* The hand-over: a clean ballot, and the round's language, normal text size and normal
     contrast, whatever the resident before chose. */
  function handOver() {
    document.documentElement.classList.remove("larger", "contrast");
    $("larger").setAttribute("aria-pressed", "false");
    $("contrast").setAttribute("aria-pressed", "false");
    speak(data.lang.start);
    if (window.redbenchAssisted) { window.redbenchAssisted.reset(); }  /* assisted.js */
    clearBallot();
  }

  $("next").addEventListener("click", handOver);
  $("kept-next").addEventListener("click", handOver);

  /* A resident who walks away before sending: after data.idleSeconds without a touch or a
     key on the code, ballot or review step, the tablet hands itself over (the receipt and
     the kept-ballot screens have their own countdowns; a ballot being sent is never dropped). */
  var idle = null;
  var UNSENT = ["step-code", "step-ballot", "step-review"];

  function stillHere() {
    window.clearTimeout(idle);
    idle = window.setTimeout(function () {
      var step = document.querySelector("section.step:not([hidden])");
      if (!phone && step && UNSENT.indexOf(step.id) >= 0 && !state.sending && !kept()) { handOver(); }
    }, data.idleSeconds * 1000);
  }

  ["pointerdown", "keydown", "input"].forEach(function (type) {
    document.addEventListener(type, stillHere, true);
  });

  /* ---- the language, switched in place ---- */
  function speak(code) {
    if (!words[code]) { return; }
    lang = code;
    W = words[code];
    messages = W.messages;
    document.documentElement.lang = code === "zh" ? "zh-CN" : code;
    document.title = W.slots.title;
    Array.prototype.forEach.call(document.querySelectorAll("[data-text]"), function (element) {
      var slot = W.slots[element.getAttribute("data-text")];
      if (slot !== undefined) { element.textContent = slot; }
    });
    var skip = document.querySelector("a.skip");
    if (skip) { skip.textContent = W.slots.skip; }
    var brand = document.querySelector("header .brand");
    if (brand) { brand.textContent = W.slots.brand; }
    var switcher = document.querySelector("nav.lang");
    if (switcher) { switcher.setAttribute("aria-label", W.slots.language); }
    langLinks.forEach(function (link) {
      if (linkLanguage(link) === code) { link.setAttribute("aria-current", "true"); }
      else { link.removeAttribute("aria-current"); }
    });
    var queue = $("queue-status");
    queue.setAttribute("data-template", W.slots["queue.waiting"]);
    queue.setAttribute("data-stuck", W.slots["queue.stuck"]);
    window.redbenchQueue.relabel();
    render();
    if (!$("step-review").hidden) { fillReview(); }
    if (said) { sayMessage(said.key, said.values); }
    if (noted) { note(noted); }
  }

  function linkLanguage(link) {
    var found = /[?&]lang=([a-z]+)/.exec(link.getAttribute("href") || "");
    return found ? found[1] : null;
  }

  /* Every language's words, asked for once the page is up (and again if a switch finds
     them missing): after that the switch works without the network. */
  function fetchWords() {
    return post(paths.words, {}).then(function (answer) {
      if (answer.status !== 200 || !answer.body) { return; }
      Object.keys(answer.body).forEach(function (code) { words[code] = answer.body[code]; });
    });
  }

  langLinks.forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var code = linkLanguage(link);
      if (!code || code === lang) { return; }
      if (words[code]) { speak(code); return; }
      fetchWords().then(function () {
        if (words[code]) { speak(code); } else { sayMessage("language-away"); }
      }, function () { sayMessage("language-away"); });
    });
  });

  /* ---- larger text and high contrast, for this resident only ---- */
  ["larger", "contrast"].forEach(function (id) {
    $(id).addEventListener("click", function () {
      var on = document.documentElement.classList.toggle(id);
      $(id).setAttribute("aria-pressed", on ? "true" : "false");
    });
  });

  if (!/[?&]lang=/.test(window.location.search) && lang !== data.lang.start) { speak(data.lang.start); }
  render();
  fetchWords().catch(function () { /* offline: only the round's language for now */ });
  var waiting = kept();
  if (waiting) { send(waiting); } else { codeInput.focus(); }
})();
