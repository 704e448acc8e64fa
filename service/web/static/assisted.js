/* The tablet's assisted mode (issue 16), for a resident voting with a helper: extra-large
   targets (body.assisted, every target at least 64 px) and a "read aloud" button beside
   each option, each step's heading and the review, spoken with the browser's speech
   synthesis in the page's language. The code is never spoken: nothing reads the code field.
   Only a voice that speaks on the tablet itself (localService) is used: a browser's default
   voice is often a network one (Chrome's zh-CN), which would send the options and the review
   to a third party. With no such voice for the page's language there are no read buttons and
   the tablet says so (#assisted-no-voice).
   The mode is for one resident: every hand-over ends it (kiosk.js calls
   window.redbenchAssisted.reset()). Server side: the toggle and the label in
   templates/kiosk/ballot.html, the words in locale/validity.toml (kiosk.assisted.*). */
(function () {
  "use strict";

  var toggle = document.getElementById("assisted");
  var label = document.getElementById("assisted-read-label");
  if (!toggle || !label) { return; }
  var noVoice = document.getElementById("assisted-no-voice");
  var made = [];

  /* The page's language, as a voice's lang starts ("zh", "en"). */
  function language() {
    return (document.documentElement.lang || "zh-CN").toLowerCase().split("-")[0];
  }

  /* A voice that speaks on this device in the page's language, or null: never a network
     voice (localService false), whatever the browser's default is. */
  function localVoice() {
    var synth = window.speechSynthesis;
    if (!synth || !window.SpeechSynthesisUtterance || !synth.getVoices) { return null; }
    var want = language();
    var voices = synth.getVoices() || [];
    for (var i = 0; i < voices.length; i++) {
      var v = voices[i];
      var lang = (v.lang || "").toLowerCase().replace("_", "-");
      if (v.localService === true && lang.split("-")[0] === want) { return v; }
    }
    return null;
  }

  function say(words) {
    var synth = window.speechSynthesis;
    var chosen = localVoice();
    if (!chosen || !words) { return; }
    synth.cancel();
    var utterance = new window.SpeechSynthesisUtterance(words);
    utterance.voice = chosen;
    utterance.lang = chosen.lang;
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

  function unbuild() {
    made.forEach(function (button) { button.parentNode.removeChild(button); });
    made = [];
  }

  /* The read buttons while the mode is on and a local voice exists; else the notice. */
  function readers() {
    var on = document.body.classList.contains("assisted");
    var can = on && localVoice() !== null;
    if (can && !made.length) { build(); }
    if (!can) { unbuild(); }
    if (noVoice) { noVoice.hidden = !(on && !can); }
  }

  function set(on) {
    document.body.classList.toggle("assisted", on);
    toggle.setAttribute("aria-pressed", on ? "true" : "false");
    readers();
    if (!on && window.speechSynthesis) { window.speechSynthesis.cancel(); }
  }

  /* The language switch changes the page's lang in place: the voice must change with it. */
  if (window.MutationObserver) {
    new window.MutationObserver(readers).observe(document.documentElement,
      { attributes: true, attributeFilter: ["lang"] });
  }

  /* Browsers load their voices after the page: look again when they arrive. */
  if (window.speechSynthesis && window.speechSynthesis.addEventListener) {
    window.speechSynthesis.addEventListener("voiceschanged", readers);
  }

  toggle.addEventListener("click", function () {
    set(!document.body.classList.contains("assisted"));
  });

  window.redbenchAssisted = { reset: function () { set(false); }, say: say };
})();
