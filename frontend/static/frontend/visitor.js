/* The visitor page. Everything lives in this page's memory only: no cookie, no storage,
   no service worker. See docs/protocol.md for the frames; the socket and the outbox are
   common.js. */
(function () {
  "use strict";
  var $ = Chat.$;
  var t = Chat.strings(Chat.data("i18n"));
  var CONFIG = Chat.data("config");
  var status = Chat.status;
  var SECTIONS = ["intro", "queue", "chat", "ended", "closed"];

  var state = freshState();
  function freshState() {
    return {
      conn: null, token: null, phase: CONFIG.closed ? "closed" : "intro", lang: CONFIG.lang,
      base: CONFIG.base, plain: CONFIG.plain,
      thread: new Chat.Thread({ send: send, draw: draw }), name: "",
      lastTyping: 0, typingTimer: null, queue: null, kind: "", danger: false, escAt: 0,
      counter: 0, closedReason: CONFIG.closed ? "hours" : "", waiting: ""
    };
  }

  function show(phase) {
    state.phase = phase;
    SECTIONS.forEach(function (id) { $(id).hidden = id !== phase; });
    var focusable = { chat: "text", intro: "start", ended: "again" }[phase];
    if (focusable) $(focusable).focus();
  }

  // The same runs as contacts/text.py NUMBER_RUN: in a right-to-left page "020-50 50 50"
  // would read "50 50 020-50" unless the run is isolated as left-to-right.
  var NUMBER_RUN = /\+?[0-9\u0660-\u0669\u06f0-\u06f9](?:[ \u00a0\-\u2013.\/:]*[0-9\u0660-\u0669\u06f0-\u06f9])+/g;
  function appendText(el, text) {
    var at = 0;
    text.replace(NUMBER_RUN, function (run, index) {
      if (index > at) el.appendChild(document.createTextNode(text.slice(at, index)));
      var bdi = document.createElement("bdi");
      bdi.dir = "ltr";
      bdi.textContent = run;
      el.appendChild(bdi);
      at = index + run.length;
      return run;
    });
    if (at < text.length) el.appendChild(document.createTextNode(text.slice(at)));
  }
  function setText(el, text) { el.textContent = ""; appendText(el, text); }

  function applyLanguage(data) {
    t.use(data.strings);
    // Easy-read Swedish is a catalog of its own ("sv-ll"), but Swedish to a screen reader
    // and to the counsellors: the page says "sv" and the chat starts in sv, plain.
    state.lang = data.lang;
    state.base = data.base;
    state.plain = data.plain;
    document.documentElement.lang = data.base;
    document.documentElement.dir = data.dir;
    Array.prototype.forEach.call(document.querySelectorAll("[data-t]"), function (el) {
      el.textContent = t(el.getAttribute("data-t"), { centre: CONFIG.centreName || "" });
    });
    if (data.info) {
      // The server's own words on the page (help numbers, hours, the closed text) follow too.
      renderNumbers(data.info.numbers);
      renderHours(data.info.hours);
      var text = data.info.texts[state.closedReason];
      if (text !== undefined) setText($("closed-text"), text);
    }
    renderQueue();
  }

  function renderNumbers(list) {
    var numbers = $("numbers");
    numbers.textContent = "";
    list.forEach(function (n) {
      var li = document.createElement("li");
      var a = document.createElement(n.dial || n.url ? "a" : "span");
      if (n.dial) a.href = "tel:" + n.dial;
      else if (n.url) { a.href = n.url; a.rel = "noopener noreferrer"; }
      a.dir = "ltr";
      a.textContent = n.number;
      var label = document.createElement("span");
      label.className = "label";
      appendText(label, n.label);
      li.appendChild(a); li.appendChild(document.createTextNode(" ")); li.appendChild(label);
      numbers.appendChild(li);
    });
  }

  function renderHours(rows) {
    var hours = $("hours");
    hours.textContent = "";
    rows.forEach(function (row) {
      var div = document.createElement("div");
      var dt = document.createElement("dt"); dt.textContent = row.day;
      var dd = document.createElement("dd"); appendText(dd, row.periods.join(", "));
      div.appendChild(dt); div.appendChild(dd); hours.appendChild(div);
    });
  }

  $("lang").addEventListener("change", function (e) {
    var code = e.target.value;
    // A centre's page asks for its own hours, not the default centre's.
    var query = CONFIG.centre ? "?centre=" + encodeURIComponent(CONFIG.centre) : "";
    fetch("/i18n/" + encodeURIComponent(code) + ".json" + query, { credentials: "omit", cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(applyLanguage)
      .catch(function () { status(t("error")); });
  });

  // --- quick exit: leave at once, leave nothing behind ---
  function quickExit() {
    try { if (state.token) send({ type: "end", quick: true }); } catch (e) { /* leaving anyway */ }
    wipe();
    window.location.replace(CONFIG.quickExitUrl);
  }
  function wipe() {
    hangUp();
    state.thread.stop();
    $("messages").textContent = "";
    $("text").value = "";
    state = freshState();
  }
  $("quick-exit").addEventListener("click", quickExit);
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    var now = Date.now();
    if (now - state.escAt < 1500) quickExit();
    state.escAt = now;
  });
  // Leaving by any route wipes the conversation, so Back (bfcache) never shows it again.
  // The token goes with it, so the conversation can never come back: say so first, and
  // the counsellor learns it now instead of after the grace (docs/privacy.md section 5).
  window.addEventListener("pagehide", function () {
    if (state.token) send({ type: "leaving" });
    wipe();
  });
  // A page in the background may be frozen or discarded by the phone without another
  // event: the counsellor is told it is out of sight while it is.
  document.addEventListener("visibilitychange", function () {
    if (state.token) send({ type: "visibility", hidden: document.visibilityState === "hidden" });
    if (document.visibilityState !== "hidden" && notices.unseen) {
      notices.unseen = 0;
      document.title = t("title");
    }
  });

  // A discreet notice when the page is in the background and the counsellor joins or
  // writes: a soft tone (mutable) and a tab title that names nothing of chat, crisis or
  // violence, since the tab strip of a shared phone is seen by others. The mute choice
  // lives in page memory only, like everything else here.
  var notices = { unseen: 0, muted: false, audio: null };
  function primeSound() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    try { if (Ctx && !notices.audio) notices.audio = new Ctx(); } catch (e) { /* silent is fine */ }
  }
  function notice() {
    if (document.visibilityState !== "hidden") return;
    notices.unseen += 1;
    document.title = "(" + notices.unseen + ") " + t("notice_title");
    var a = notices.audio;
    if (notices.muted || !a) return;
    try {
      var tone = a.createOscillator(), gain = a.createGain(), now = a.currentTime;
      tone.type = "sine";
      tone.frequency.value = 660;
      gain.gain.setValueAtTime(0.0001, now);
      gain.gain.exponentialRampToValueAtTime(0.06, now + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.5);
      tone.connect(gain);
      gain.connect(a.destination);
      tone.start(now);
      tone.stop(now + 0.55);
    } catch (e) { /* silent is fine */ }
  }
  $("text-size").addEventListener("click", function () {
    var large = document.documentElement.classList.toggle("large-text");
    this.setAttribute("aria-pressed", large ? "true" : "false");
  });

  $("mute").addEventListener("click", function () {
    notices.muted = !notices.muted;
    $("mute").setAttribute("aria-pressed", notices.muted ? "true" : "false");
  });
  window.addEventListener("pageshow", function (e) {
    if (e.persisted) { state = freshState(); show("intro"); status(""); }
  });

  // --- the socket ---
  function connect() {
    state.conn = Chat.connect("/ws/visitor/", {
      handlers: HANDLERS,
      open: function () {
        status("");
        if (state.token) send({ type: "resume", token: state.token, last_seq: state.thread.lastSeq });
        else send({ type: "start", lang: state.base, plain: state.plain, kind: state.kind, danger: state.danger, centre: CONFIG.centre || "" });
      },
      // Back only while there is something to come back to: after ended, closed or
      // expired the page stays where it is.
      closed: function () {
        if (state.phase === "queue" || state.phase === "chat" || (state.phase === "intro" && !state.token)) {
          if (state.phase !== "intro") status(t("reconnecting"));
          return true;
        }
        return false;
      }
    });
  }
  // No more reconnecting, and the socket closed: leaving, closed, ended.
  function hangUp() { if (state.conn) state.conn.close(); }

  function send(frame) { return !!state && !!state.conn && state.conn.send(frame); }

  function flushOutbox() {
    if (state.waiting) return;
    state.thread.resend();
  }

  var resendSoon = Chat.resendSoon(function () { if (state.phase === "chat") flushOutbox(); });

  var HANDLERS = {
    closing: function (f) {
      var soon = $("closing-soon");
      soon.hidden = false;
      soon.textContent = t("closing_soon", { time: f.closes });
    },
    elsewhere: function (f) {
      // Nobody here can answer now; another service can. A new tab, so the place in this
      // queue is kept for a visitor who would rather wait.
      var link = $("elsewhere-waiting-link");
      link.href = f.url;
      link.textContent = f.name || f.url;
      $("elsewhere-waiting").hidden = false;
    },
    handed_over: function (f) {
      // Still waiting, now for a partner centre: the same notice as at the start.
      var handed = $("answered-by");
      handed.hidden = false;
      handed.textContent = t("answered_by", { name: f.name });
    },
    started: function (f) {
      state.token = f.token;
      // The visitor's own centre cannot answer now and another centre will: say which,
      // before anyone joins, so a stranger's name is no surprise.
      var handed = $("answered-by");
      $("elsewhere-waiting").hidden = true;
      handed.hidden = !f.answered_by;
      if (f.answered_by) handed.textContent = t("answered_by", { name: f.answered_by });
      show("queue");
    },
    resumed: function (f) {
      status("");
      if (f.state === "active") { show("chat"); flushOutbox(); } else if (!state.waiting) show("queue");
    },
    expired: function () {
      state.token = null;
      endWith(t("expired"));
    },
    queue: function (f) {
      state.queue = f;
      // Back in the queue after a conversation: the queue is shown beside it, not instead.
      if (state.phase !== "queue" && !(state.waiting && state.phase === "chat")) show("queue");
      renderQueue();
    },
    closed: function (f) {
      hangUp();
      var heading = { hours: "closed_heading", paused: "paused_heading", full: "full_heading" }[f.reason] || "busy_heading";
      $("closed-heading").textContent = t(heading);
      $("closed-heading").setAttribute("data-t", heading);
      state.closedReason = f.reason;
      setText($("closed-text"), f.text);
      renderNumbers(f.numbers);
      renderHours(f.hours);
      var other = f.elsewhere;
      $("elsewhere").hidden = !other;
      if (other) {
        $("elsewhere-link").href = other.url;
        $("elsewhere-link").textContent = other.name || other.url;
      }
      show("closed");
    },
    joined: function (f) {
      state.name = f.name || t("counsellor");
      if (state.phase !== "chat" || state.waiting) {
        state.waiting = "";
        $("waiting").hidden = true;
        show("chat");
        addNote(t("joined", { name: state.name }));
        notice();
        flushOutbox();
      }
    },
    supervisor: function (f) {
      state.supervisor = f.joined ? f.name : "";
      addNote(t(f.joined ? "supervisor_joined" : "supervisor_left", { name: f.name }));
    },
    transferred: function (f) {
      state.name = f.name || t("counsellor");
      addNote(t("transferred", { name: state.name }));
    },
    requeued: function (f) {
      // The conversation stays in view: what was said is still there, and the next
      // counsellor sees it too. The banner says what is happening; queue frames follow.
      state.waiting = f.reason === "transfer" ? "requeued_transfer" : "requeued";
      state.queue = null;
      $("waiting-position").textContent = "";
      $("waiting-wait").textContent = "";
      $("waiting-text").textContent = t(state.waiting);
      $("waiting").hidden = false;
      $("typing").hidden = true;
      if (state.phase !== "chat") show("chat");
    },
    message: function (f) { state.thread.receive(f, f.from === "visitor"); },
    sent: function (f) {
      var m = state.thread.confirm(f);
      if (!m) return;
      m.el.classList.remove("pending");
      m.el.removeAttribute("data-pending");
      var note = m.el.querySelector(".note");
      if (note) note.remove();
      m.el.setAttribute("data-seq", f.seq);
    },
    typing: function () {
      var el = $("typing");
      el.textContent = t("typing", { name: state.name });
      el.hidden = false;
      clearTimeout(state.typingTimer);
      state.typingTimer = setTimeout(function () { el.hidden = true; }, 4000);
    },
    ended: function (f) {
      state.token = null;
      // The socket stays open for the one optional question, if there was a conversation.
      var asked = state.name && f.by !== "quick_exit";
      $("feedback").hidden = !asked;
      $("feedback-thanks").hidden = true;
      if (asked) state.conn.stop(); else hangUp();
      var key = f.by === "visitor" || f.by === "quick_exit" ? "ended_by_visitor" : f.by === "counsellor" ? "ended_by_counsellor" : "ended_other";
      endWith(t(key));
    },
    thanks: function () {
      $("feedback").hidden = true;
      $("feedback-thanks").hidden = false;
      hangUp();
    },
    error: function (f) {
      // A refused message is marked on the page, never dropped silently.
      if (["not_in_conversation", "too_long", "empty", "bad_field"].indexOf(f.code) >= 0 && f.detail) markFailed(f.detail);
      if (f.code === "too_long") status(t("too_long"));
      if (f.code === "rate_limited") resendSoon();
    }
  };

  // A message the thread says is new (common.js drops a replayed seq it shows).
  // Silence is not leaving: after a while without a word from the visitor since the
  // counsellor last wrote, the page says the counsellor is waiting, and that there is no
  // hurry. Nothing ends the chat for silence (only a lost connection, after the grace).
  var idle = { since: 0 };
  function heardFromCounsellor() { idle.since = Date.now(); $("counsellor-waiting").hidden = true; }
  function heardFromVisitor() { idle.since = 0; $("counsellor-waiting").hidden = true; }
  setInterval(function () {
    if (state.phase !== "chat" || state.waiting || !idle.since) return;
    if (Date.now() - idle.since < CONFIG.idleSeconds * 1000) return;
    var waiting = $("counsellor-waiting");
    if (!waiting.hidden) return;
    waiting.textContent = t("counsellor_waiting", { name: state.name });
    waiting.hidden = false;
  }, 5000);

  function draw(f) {
    if (f.from !== "visitor") {
      var who = f.from === "counsellor" ? state.name : f.from === "supervisor" ? state.supervisor || "" : "";
      addMessage(who, f.text, "them", f.seq, f.html);
      $("typing").hidden = true;
      heardFromCounsellor();
      notice();
    } else if (!document.querySelector('[data-seq="' + f.seq + '"]')) {
      addMessage(t("you"), f.text, "me", f.seq);
    }
  }

  // ``html`` comes only with a counsellor's message: the server escaped the text and
  // added nothing but links (contacts/text.py). Everything else is set as text.
  function addMessage(who, text, cls, seq, html) {
    var li = document.createElement("li");
    li.className = "msg " + cls;
    var label = document.createElement("span");
    label.className = "who";
    label.textContent = who;
    var body = document.createElement("p");
    // Each message takes its own direction: an English line in an Arabic page, or the reverse.
    body.dir = "auto";
    if (html) body.innerHTML = html; else appendText(body, text);
    li.appendChild(label);
    li.appendChild(body);
    if (seq) li.setAttribute("data-seq", seq);
    $("messages").appendChild(li);
    li.scrollIntoView({ block: "end" });
    return li;
  }

  function addNote(text) {
    var li = document.createElement("li");
    li.className = "msg system";
    li.textContent = text;
    $("messages").appendChild(li);
  }

  function markFailed(id) {
    var m = state.thread.fail(id);
    if (!m) return;
    m.el.classList.add("failed");
    setNote(m.el, t("failed"));
  }

  function setNote(el, text) {
    var note = el.querySelector(".note");
    if (!note) { note = document.createElement("span"); note.className = "note"; el.appendChild(note); }
    note.textContent = text;
  }

  function renderQueue() {
    if (state.waiting) $("waiting-text").textContent = t(state.waiting);
    var q = state.queue;
    if (!q) return;
    var position = t("queue_position", { position: q.position });
    var wait;
    if (q.wait === null || q.wait === undefined) wait = t("queue_wait_unknown");
    else if (q.wait < 60) wait = t("queue_wait_now");
    else wait = t("queue_wait_minutes", { minutes: Math.ceil(q.wait / 60) });
    var ids = state.waiting ? ["waiting-position", "waiting-wait"] : ["queue-position", "queue-wait"];
    $(ids[0]).textContent = position;
    $(ids[1]).textContent = wait;
  }

  function endWith(text) {
    $("ended-text").textContent = text;
    state.thread.failAll().forEach(function (m) { m.el.classList.add("failed"); setNote(m.el, t("failed")); });
    show("ended");
  }

  // --- user actions ---
  Array.prototype.forEach.call(document.querySelectorAll("#feedback button"), function (b) {
    b.addEventListener("click", function () { send({ type: "feedback", answer: b.getAttribute("data-answer") }); });
  });
  $("danger").addEventListener("change", function (e) { $("danger-help").hidden = !e.target.checked; });
  $("start-form").addEventListener("submit", function (e) {
    e.preventDefault();
    primeSound(); // inside the click: a browser lets a page make sound only after one
    var kind = document.querySelector('input[name="kind"]:checked');
    state.kind = kind ? kind.value : "";
    state.danger = $("danger").checked;
    status(t("connecting"));
    connect();
  });
  $("again").addEventListener("click", function () {
    var chosen = { lang: state.lang, base: state.base, plain: state.plain };
    hangUp();
    state.thread.stop();
    state = freshState();
    state.lang = chosen.lang;
    state.base = chosen.base;
    state.plain = chosen.plain;
    $("messages").textContent = "";
    show("intro");
  });
  Array.prototype.forEach.call(document.querySelectorAll("button.end"), function (b) {
    b.addEventListener("click", function () {
      if (state.phase === "chat" && !window.confirm(t("end_confirm"))) return;
      if (!send({ type: "end" })) { hangUp(); endWith(t("ended_by_visitor")); }
    });
  });
  // Checked in the browser only: the text never leaves the page unless the visitor sends it.
  // Digits are normalised first: an Arabic or Persian keyboard types ٨٥٠٧٠٩ or ۸۵۰۷۰۹,
  // and a full-width keyboard ＠ and ０-９, which the patterns below would not see.
  function normalise(text) {
    return text.replace(/[\u0660-\u0669\u06f0-\u06f9\uff10-\uff19]/g, function (d) {
      var c = d.charCodeAt(0);
      return String(c - (c >= 0xff10 ? 0xff10 : c >= 0x06f0 ? 0x06f0 : 0x0660));
    }).replace(/[\u2010-\u2015\u2212]/g, "-").replace(/\uff20/g, "@").replace(/[\u00a0\u202f\u2009]/g, " ");
  }
  var PII = [
    /\b(?:19|20)?\d{2}[01]\d[0-36-9]\d[-+ ]?\d{4}\b/,                   // personnummer, samordningsnummer
    /(?:\+|00)\d{2}[\s-]*\d(?:[\s-]*\d){6,11}|\b0[1-9](?:[\s-]*\d){6,9}\b/, // phone number
    /[^\s@]+@[^\s@]+\.[a-z]{2,}/i,                                          // e-mail
    /\b[\w.+-]+\s*(?:\(at\)|\[at\]|\s(?:at|snabel-a)\s)\s*[\w-]+\s*(?:\(dot\)|\[dot\]|\s(?:dot|punkt)\s|\.(?=(?:com|se|nu|net|org|me)\b))\s*[a-z]{2,}\b/i, // "anna at gmail dot com"
    /(?:^|[^\w@.])@[a-z0-9_][a-z0-9_.]{0,28}[a-z0-9_]/i,                    // @handle
    /\b(?:snap(?:chat)?|insta(?:gram)?|ig|tiktok|kik|telegram|discord|facebook|fb|twitter)\s*[:=]\s*@?[a-z0-9_.]{2,}/i, // "snap: anna_05"
    /\b(?:instagram|facebook|fb|tiktok|snapchat|twitter|x|t|wa)\.(?:com|me)\/@?[a-z0-9_.]{2,}/i, // profile links
    /\b[a-zåäöé]+(?:gatan|vägen|väg|gata|gränd|backe|torg|torget|stigen|allén|plan|leden)\s+\d+/i // street address
  ];
  function looksIdentifying(text) {
    var plain = normalise(text);
    return PII.some(function (re) { return re.test(plain); });
  }
  function sendText(text) {
    heardFromVisitor();
    var id = "m" + Date.now().toString(36) + (state.counter++).toString(36);
    var el = addMessage(t("you"), text, "me pending", 0);
    el.setAttribute("data-pending", "1");
    // Waiting for the next counsellor: the server takes no message now, so it is kept
    // here and sent when one joins (the joined frame flushes the outbox).
    if (state.waiting) { state.thread.post(id, text, el, true); setNote(el, t("waiting_not_sent")); }
    else if (!state.thread.post(id, text, el)) setNote(el, t("not_sent"));
    $("text").value = "";
    $("text").focus();
  }
  $("send-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var text = $("text").value.trim();
    if (!text) return;
    // Focus stays in the text: a second Enter only shows the warning again. Sending
    // anyway takes a click, or Tab to the button: a choice, not a key pressed twice.
    if (looksIdentifying(text)) { $("pii").hidden = false; $("text").focus(); return; }
    $("pii").hidden = true;
    sendText(text);
  });
  $("pii-send").addEventListener("click", function () {
    $("pii").hidden = true;
    var text = $("text").value.trim();
    if (text) sendText(text);
  });
  $("pii-edit").addEventListener("click", function () { $("pii").hidden = true; $("text").focus(); });
  $("text").addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("send-form").requestSubmit(); }
  });
  $("text").addEventListener("input", function () {
    if (!$("pii").hidden && !looksIdentifying($("text").value)) $("pii").hidden = true;
    var now = Date.now();
    if ($("text").value) heardFromVisitor();
    if (now - state.lastTyping > 3000) { state.lastTyping = now; send({ type: "typing" }); }
  });
  // A quiet line every 25 s keeps proxies from dropping the socket and recovers any lost nudge.
  setInterval(function () {
    if (state.token && (state.phase === "chat" || state.phase === "queue")) state.thread.sync();
  }, 25000);
})();
