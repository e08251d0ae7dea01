/* The web chat's microphone button (GET /chat/voice.js?lang=..., loaded by chat.html only where the browser
   can record): press to record, press again to stop and send (POST /chat/api/voice, through the page's own
   send). A button, so Enter and Space work it, and its name says what pressing it does now. */
(function () {
  "use strict";
  var chat = window.saferHomesChat;
  var words = {
    {# TRANSLATORS: web chat, the name of the microphone button (read out by screen readers; shown on hover). #}
    record: {{ _("Record a voice message").unescape()|tojson }},
    {# TRANSLATORS: web chat, the microphone button's name while it records: pressing it again sends the recording. #}
    stop: {{ _("Stop and send the voice message").unescape()|tojson }},
    {# TRANSLATORS: web chat, shown as the resident's own message in place of a voice message they sent. #}
    sent: {{ _("Voice message").unescape()|tojson }},
    {# TRANSLATORS: web chat, when the browser would not let us use the microphone (not allowed, or none there). #}
    noMicrophone: {{ _("We could not use the microphone. You can type instead.").unescape()|tojson }}
  };
  var TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus"];
  // Five minutes hold a long story; a button left on does not record a whole evening.
  var LONGEST_MS = 5 * 60 * 1000;
  // 24 kbit/s Opus is clear speech at about 180 KB a minute, kind to a pay-as-you-go data plan.
  var BITS_PER_SECOND = 24000;

  var style = document.createElement("style");
  style.nonce = chat.nonce;
  style.textContent = "#record{min-height:48px;min-width:48px;padding:.5rem;border:2px solid #1d4f5e;" +
    "border-radius:.5rem;background:#fff;color:#1d4f5e;cursor:pointer}" +
    "#record[aria-pressed=true]{background:#b00020;border-color:#b00020;color:#fff}" +
    "#record svg{display:block;width:1.4rem;height:1.4rem;fill:currentColor}" +
    "#record:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}";
  document.head.appendChild(style);

  var button = document.createElement("button");
  button.id = "record";
  button.type = "button";
  button.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M12 15a3 3 0 0 0 ' +
    '3-3V6a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 6.9V22h2v-3.1A7 7 0 0 0 19 12z"/></svg>';
  var label = document.createElement("span");
  label.className = "visually-hidden";
  button.appendChild(label);
  document.getElementById("send").after(button);

  var type = TYPES.filter(function (candidate) { return MediaRecorder.isTypeSupported(candidate); })[0];
  var recording = null;  // {recorder, stream, timer}

  function show(pressed) {
    button.setAttribute("aria-pressed", pressed ? "true" : "false");
    label.textContent = button.title = pressed ? words.stop : words.record;
  }

  function start() {
    navigator.mediaDevices.getUserMedia({audio: true}).then(function (stream) {
      var recorder = new MediaRecorder(stream, {mimeType: type, audioBitsPerSecond: BITS_PER_SECOND});
      var chunks = [];
      recorder.ondataavailable = function (event) { if (event.data.size) { chunks.push(event.data); } };
      recorder.onstop = function () {
        stream.getTracks().forEach(function (track) { track.stop(); });  // the browser's "microphone on" goes
        var blob = new Blob(chunks, {type: recorder.mimeType || type});
        chat.send({recording: blob}, words.sent, document.documentElement.lang);
      };
      recording = {recorder: recorder, timer: window.setTimeout(stop, LONGEST_MS)};
      recorder.start();
      show(true);
    }).catch(function () {
      chat.say("bot", words.noMicrophone, document.documentElement.lang);
    });
  }

  function stop() {
    if (!recording) { return; }
    window.clearTimeout(recording.timer);
    recording.recorder.stop();  // onstop sends what was recorded
    recording = null;
    show(false);
  }

  button.addEventListener("click", function () { if (recording) { stop(); } else { start(); } });
  show(false);
}());
