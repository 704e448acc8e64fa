/* The tablet's assisted mode (issue 16), for a resident voting with a helper: extra-large
   targets (body.assisted, every target at least 64 px) and a "read aloud" button beside
   each option, each step's heading and the review, spoken with the browser's speech
   synthesis in the page's language. The code is never spoken: nothing reads the code field.
   The mode is for one resident: every hand-over ends it (kiosk.js calls
   window.redbenchAssisted.reset()). Server side: the toggle and the label in
   templates/kiosk/ballot.html, the words in locale/validity.toml (kiosk.assisted.*). */
(function () {
  "use strict";

  var toggle = document.getElementById("assisted");
  var label = document.getElementById("assisted-read-label");
  if (!toggle || !label) { return; }
  var made = [];

  function voice() {
    var lang = document.documentElement.lang || "zh-CN";
    return lang.indexOf("zh") === 0 ? "zh-CN" : lang;
  }

  function say(words) {
    var synth = window.speechSynthesis;
    if (!synth || !window.SpeechSynthesisUtterance || !words) { return; }
    synth.cancel();
    var utterance = new window.SpeechSynthesisUtterance(words);
    utterance.lang = voice();
    utterance.rate = 0.9;
    synth.speak(utterance);
  }

  function clean(text) { return (text || "").replace(/\s+/g, " ").trim(); }

  /* A "read aloud" button after `anchor` that speaks what `words()` gives. */
  function reader(anchor, words, where) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "read-aloud";
    button.setAttribute("data-text", "assisted.read");
    button.textContent = label.textContent;
    button.addEventListener("click", function (event) {
      event.preventDefault();
      event.stopPropagation();
      say(words());
    });
    if (where === "inside") { anchor.appendChild(button); }
    else { anchor.parentNode.insertBefore(button, anchor.nextSibling); }
    made.push(button);
    return button;
  }

  function optionWords(option) {
    var name = option.querySelector(".name");
    var desc = option.querySelector(".desc");
    return clean((name ? name.textContent : "") + "。" + (desc ? desc.textContent : ""));
  }

  function build() {
    Array.prototype.forEach.call(document.querySelectorAll("button.option"), function (option) {
      reader(option, function () { return optionWords(option); });
    });
    Array.prototype.forEach.call(document.querySelectorAll("fieldset.score"), function (set) {
      reader(set.querySelector("legend"), function () { return optionWords(set); }, "inside");
    });
    Array.prototype.forEach.call(document.querySelectorAll("section.step > h1"), function (h) {
      var step = h.parentNode;
      reader(h, function () {
        var words = clean(h.textContent);
        var help = step.querySelector("p.help.big");
        if (help) { words += "。" + clean(help.textContent); }
        var review = step.id === "step-review" ? document.getElementById("review-list") : null;
        if (review) {
          Array.prototype.forEach.call(review.querySelectorAll("li"), function (item) {
            words += "。" + clean(item.textContent);
          });
        }
        return words;
      });
    });
  }

  function set(on) {
    document.body.classList.toggle("assisted", on);
    toggle.setAttribute("aria-pressed", on ? "true" : "false");
    if (on && !made.length) { build(); }
    if (!on) {
      made.forEach(function (button) { button.parentNode.removeChild(button); });
      made = [];
      if (window.speechSynthesis) { window.speechSynthesis.cancel(); }
    }
  }

  toggle.addEventListener("click", function () {
    set(!document.body.classList.contains("assisted"));
  });

  window.redbenchAssisted = { reset: function () { set(false); }, say: say };
})();
