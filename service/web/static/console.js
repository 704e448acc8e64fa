/* The facilitator's console: live turnout without reloading (codes issued against ballots
   cast, slips reprinted; never a result), forms sent once, news of late ballots from offline tablets and of unusual code
   guessing, a confirmation before voting opens or closes, and the print button of the
   code slips. Server side: service/web/meeting.py. */
(function () {
  "use strict";

  var POLL_MS = 2000;
  var box = document.getElementById("turnout");

  function update(turnout) {
    var issued = turnout.codes_issued - turnout.codes_void;
    document.getElementById("ballots-cast").textContent = turnout.ballots_cast;
    document.getElementById("codes-issued").textContent = issued;
    var bar = document.getElementById("turnout-bar");
    bar.max = Math.max(issued, 1);
    bar.value = turnout.ballots_cast;
    late(turnout.late_ballots || 0);
    reprinted(turnout.slips_reprinted || 0);
    guessing(turnout.guessing);
    quorum(turnout.quorum);
    reconciliation(turnout);
    /* voting, and after the close too: offline tablets deliver what they kept late */
    return turnout.phase === "voting" || turnout.phase === "closed";
  }

  /* Slips printed again after their printing window: the whole meeting sees it at once
     (the sentence's wording is the page's, with the number in it). */
  function reprinted(count) {
    var line = document.getElementById("slips-reprinted");
    if (!line || count === parseInt(line.getAttribute("data-count"), 10)) { return; }
    line.setAttribute("data-count", count);
    line.textContent = line.getAttribute("data-text").replace("{count}", count);
    line.hidden = count === 0;
  }

  /* Ballots an offline tablet kept and delivered too late: tell the facilitator at once,
     with a link that reloads the page to show why. */
  function late(count) {
    var card = document.getElementById("late-ballots");
    if (!card || count === parseInt(card.getAttribute("data-total"), 10)) { return; }
    card.hidden = false;
    document.getElementById("late-news").hidden = false;
  }

  /* Unusual guessing (many unknown codes, or a device out of tries): show the warning at
     once, with a link that reloads the page for the figures. */
  function guessing(seen) {
    var card = document.getElementById("guessing");
    if (!card || !seen || !seen.unusual || card.getAttribute("data-unusual") === "yes") { return; }
    card.hidden = false;
    document.getElementById("guessing-news").hidden = false;
  }

  /* Turnout against the quorum (issue 16): the page's own sentence, reached or not, with
     the polled figures in it. */
  function quorum(seen) {
    var line = document.getElementById("quorum-line");
    if (!line || !seen || seen.kind === "none") { return; }
    var sentence = line.getAttribute(seen.reached ? "data-reached" : "data-missing");
    var figures = { present: seen.present, base: seen.base, required: seen.required,
                    missing: seen.missing };
    line.textContent = sentence.replace(/\{(present|base|required|missing)\}/g,
      function (_, name) { return figures[name]; });
    line.classList.toggle("reached", !!seen.reached);
  }

  /* Ballots by channel and the reconciliation line, balanced or not (issue 16). */
  function reconciliation(seen) {
    var channels = document.getElementById("channels-line");
    var line = document.getElementById("reconciliation-line");
    if (!channels || !line) { return; }
    var figures = {
      issued: seen.codes_issued, tablet: seen.tablet_ballots, paper: seen.paper_ballots,
      phone: seen.phone_ballots, spoiled: seen.paper_spoiled, blank: seen.paper_blank,
      unused: seen.codes_unused, void: seen.codes_void
    };
    function filled(sentence) {
      return sentence.replace(/\{(\w+)\}/g, function (_, name) { return figures[name]; });
    }
    channels.textContent = filled(channels.getAttribute("data-template"));
    line.textContent = filled(line.getAttribute(seen.reconciled ? "data-balanced" : "data-unbalanced"));
    line.parentNode.classList.toggle("unbalanced", !seen.reconciled);
  }

  function poll() {
    fetch(box.getAttribute("data-url"), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (turnout) {
        if (!turnout || update(turnout)) { window.setTimeout(poll, POLL_MS); }
      }, function () { window.setTimeout(poll, POLL_MS); });
  }

  if (box && box.getAttribute("data-live") === "yes") { window.setTimeout(poll, POLL_MS); }

  Array.prototype.forEach.call(
    document.querySelectorAll("#late-news a, #guessing-news a"),
    function (news) {
      news.addEventListener("click", function (event) {
        event.preventDefault();  /* the same address: only a reload shows the new figures */
        window.location.reload();
      });
    }
  );

  Array.prototype.forEach.call(document.querySelectorAll("[data-confirm]"), function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });

  /* A form marked data-once sends one request: a double click does not issue two batches. */
  Array.prototype.forEach.call(document.querySelectorAll("form[data-once]"), function (form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-sent") === "yes") { event.preventDefault(); return; }
      form.setAttribute("data-sent", "yes");
      Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (b) {
        b.setAttribute("aria-disabled", "true");
        window.setTimeout(function () { b.disabled = true; }, 0);
      });
    });
  });

  /* Back to the page from the browser's cache: the form may be sent again. */
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    Array.prototype.forEach.call(document.querySelectorAll("form[data-once]"), function (form) {
      form.removeAttribute("data-sent");
      Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (b) {
        b.disabled = false;
        b.removeAttribute("aria-disabled");
      });
    });
  });

  var print = document.getElementById("print");
  if (print) { print.addEventListener("click", function () { window.print(); }); }
})();
