/* The counsellor console. See docs/protocol.md for the frames; the socket and each
   conversation's numbering and outbox are common.js, what the staff pages share staff.js. */
(function () {
  "use strict";
  var $ = Chat.$, el = Chat.el, status = Chat.status;
  var t = Chat.strings(Chat.data("i18n"));
  var CONFIG = Chat.data("config");
  var conn = null, me = null, counter = 0;
  var convs = {};   // contact id -> {el, thread, ended}
  var colleagues = [];  // counsellors on shift, from the last queue frame
  var offers = {};  // contact id -> {el, timer}
  var skew = 0;     // local clock minus the server's, from the last frame that carried "now"

  function send(frame) { return !!conn && conn.send(frame); }
  var side = Chat.staff.SideChannel({ t: t, send: send });
  function describe(c) {
    var parts = [t("channel_" + c.channel), c.language.toUpperCase(), t("kind_" + (c.kind || ""))];
    if (c.skill) parts.push(c.skill);
    return parts.join(" · ");
  }
  function waited(seconds) {
    return seconds < 120 ? t("waited_seconds", { seconds: seconds }) : t("waited", { minutes: Math.floor(seconds / 60) });
  }
  // Waiting times count on here, from the server's timestamps: a queue frame is only
  // sent when something changes, and a visitor waiting a minute must not read "0 s".
  function clock(f) { if (typeof f.now === "number") skew = Date.now() - f.now; }
  function waitedEl(c) {
    var span = el("span", "waited", waited(c.waited));
    if (typeof c.enqueued === "number") span.setAttribute("data-enqueued", c.enqueued);
    return span;
  }
  function tick() {
    var now = Date.now() - skew;
    Array.prototype.forEach.call(document.querySelectorAll("[data-enqueued]"), function (span) {
      span.textContent = waited(Math.max(0, Math.floor((now - Number(span.getAttribute("data-enqueued"))) / 1000)));
    });
  }
  // Only the page's own people speak here: a polite line for a new offer, so a screen
  // reader hears it without the keyboard being taken from what the counsellor is writing.
  function announce(text) {
    var a = $("announce");
    a.textContent = "";
    setTimeout(function () { a.textContent = text; }, 50);
  }
  // Where a counsellor is typing, nothing may move their focus.
  function typingSomewhere() {
    var a = document.activeElement;
    return !!a && (a.tagName === "TEXTAREA" || a.tagName === "INPUT" || a.tagName === "SELECT" || a.isContentEditable);
  }
  var wanted = {};  // contact ids this page asked for (accept or take): their text box may take focus

  function connect() {
    conn = Chat.connect("/ws/console/", {
      handlers: HANDLERS,
      open: function () { status(""); },
      closed: function (opened) {
        side.dropped();
        if (!opened) Chat.staff.checkSession("/console/");
        status(t("reconnecting"));
      }
    });
  }

  function resendAll() {
    Object.keys(convs).forEach(function (id) { if (!convs[id].ended) convs[id].thread.resend(); });
  }
  var resendSoon = Chat.resendSoon(resendAll);

  var intakes = {};  // by centre
  var HANDLERS = {
    intake: function (f) {
      // A paused intake changes what this counsellor's queue will see: say it where
      // nobody can miss it. One frame per centre; with two, each is named.
      intakes[f.centre || ""] = f;
      var keys = Object.keys(intakes);
      var parts = [];
      keys.forEach(function (k) {
        var i = intakes[k], prefix = keys.length > 1 && i.centre_name ? i.centre_name + ": " : "";
        if (i.chat_paused) parts.push(prefix + t("chat_intake_paused"));
        if (i.phone_paused) parts.push(prefix + t("phone_intake_paused"));
      });
      $("intake-banner").textContent = parts.join(" ");
      $("intake-banner").hidden = !parts.length;
    },
    hello: function (f) {
      showMe(f.me);
      f.conversations.forEach(function (c) { openConversation(c); });
      // After a reconnect, send again what was typed while the connection was down, and
      // ask for whatever this page has not seen in each conversation (in this order:
      // common.js, Thread.catchUp).
      Object.keys(convs).forEach(function (id) { if (!convs[id].ended) convs[id].thread.catchUp(); });
    },
    me: function (f) { showMe(f); },
    queue: function (f) {
      colleagues = f.colleagues || [];
      fillNoteTargets();
      Object.keys(convs).forEach(function (id) { if (!convs[id].ended) fillTransfer(convs[id].el); });
      var list = $("queue-list");
      list.textContent = "";
      var total = f.total === undefined ? f.items.length : f.total;
      $("queue-count").textContent = "(" + total + ")";
      $("on-duty").textContent = t("on_duty", { n: f.on_duty });
      clock(f);
      if (!f.items.length) list.appendChild(el("li", "empty", t("queue_empty")));
      f.items.forEach(function (c) {
        var li = el("li", c.danger ? "danger" : "");
        li.appendChild(el("span", "what", describe(c)));
        if (c.danger) li.appendChild(el("strong", "flag", t("danger")));
        if (c.plain) li.appendChild(el("strong", "plain", t("plain")));
        li.appendChild(waitedEl(c));
        if (!c.offered) {
          var b = el("button", "secondary", t("pick"));
          b.type = "button";
          b.addEventListener("click", function () { wanted[c.contact] = true; send({ type: "pick", contact: c.contact }); });
          li.appendChild(b);
        }
        list.appendChild(li);
      });
      // The server sends the head of a long queue; the rest is counted, not listed.
      if (total > f.items.length) list.appendChild(el("li", "more", t("queue_more", { n: total - f.items.length })));
    },
    offer: function (f) {
      if (offers[f.contact]) return;
      clock(f);
      var li = el("li", "offer" + (f.danger ? " danger" : ""));
      li.appendChild(el("span", "what", describe(f)));
      if (f.danger) li.appendChild(el("strong", "flag", t("danger")));
      if (f.plain) li.appendChild(el("strong", "plain", t("plain")));
      li.appendChild(waitedEl(f));
      var left = el("span", "expires", t("offer_expires", { seconds: f.expires_in }));
      li.appendChild(left);
      var accept = el("button", "primary", t("accept"));
      accept.type = "button";
      accept.setAttribute("aria-keyshortcuts", "Alt+Shift+A");
      accept.title = t("accept_shortcut");
      accept.addEventListener("click", function () { acceptOffer(f.contact); });
      var decline = el("button", "secondary", t("decline"));
      decline.type = "button";
      decline.addEventListener("click", function () { send({ type: "decline", contact: f.contact }); removeOffer(f.contact); });
      li.appendChild(accept);
      li.appendChild(decline);
      $("offer-list").appendChild(li);
      $("offers").hidden = false;
      var remaining = f.expires_in;
      var timer = setInterval(function () {
        remaining = Math.max(0, remaining - 1);
        left.textContent = t("offer_expires", { seconds: remaining });
      }, 1000);
      offers[f.contact] = { el: li, timer: timer, at: Date.now() };
      notify();
      // Never accept.focus(): a space typed mid-sentence would take a new visitor.
      announce(t("offer_announce", { what: describe(f) }) + (f.danger ? " " + t("danger") + "." : "") + (f.plain ? " " + t("plain") + "." : "") + " " + t("accept_shortcut"));
    },
    offer_withdrawn: function (f) { removeOffer(f.contact); },
    conversation: function (f) { clock(f); removeOffer(f.contact); openConversation(f); },
    message: function (f) {
      var c = convs[f.contact];
      if (c) c.thread.receive(f, f.from === "counsellor" && f.mine !== false);
    },
    sent: function (f) {
      var c = convs[f.contact];
      if (!c) return;
      var m = c.thread.confirm(f);
      if (!m) return;
      m.el.classList.remove("pending");
      m.el.setAttribute("data-seq", f.seq);
      var note = m.el.querySelector(".note");
      if (note) note.remove();
    },
    typing: function (f) {
      var c = convs[f.contact];
      if (!c || c.ended) return;
      var p = c.el.querySelector(".typing");
      c.heard = Date.now();  // writing is not silence
      p.hidden = false;
      clearTimeout(c.typingTimer);
      c.typingTimer = setTimeout(function () { p.hidden = true; }, 4000);
    },
    visitor: function (f) {
      var c = convs[f.contact];
      if (c) c.connected = f.state !== "away";
      if (c) c.el.querySelector(".presence").textContent = t({ connected: "visitor_connected", hidden: "visitor_hidden" }[f.state] || "visitor_away");
    },
    ended: function (f) {
      removeOffer(f.contact);
      var c = convs[f.contact];
      if (!c || c.ended) return;
      c.ended = true;
      // "Skriver…" under a conversation that has ended would say someone is still there.
      clearTimeout(c.typingTimer);
      c.el.querySelector(".typing").hidden = true;
      c.thread.stop();
      addNote(c, t.has("ended_" + f.by) ? t("ended_" + f.by, { duration: blockDuration(c.info) }) : t("ended_system"));
      if (f.undelivered) addNote(c, t("undelivered", { n: f.undelivered }));
      c.el.querySelector(".composer").hidden = true;
      side.whisperShown(c.el, false);
      c.el.querySelector(".end").hidden = true;
      c.el.querySelector(".canned").hidden = true;
      c.el.querySelector(".transfer").hidden = true;
      c.el.querySelector(".help").hidden = true;
      c.el.querySelector(".block").hidden = true;
      c.el.querySelector(".close").hidden = false;
      if (["requeued", "not_answered", "system"].indexOf(f.by) < 0) c.el.querySelector(".wrapup").hidden = false;
      c.el.classList.add("ended");
    },
    error: function (f) {
      if (side.failed(f)) return;  // a whisper or note refused: said beside it
      if (f.code === "rate_limited") resendSoon();
      if (f.code === "not_available") { removeOffer(f.detail); status(t("not_available")); setTimeout(function () { status(""); }, 4000); }
      if (f.code === "not_yours" && convs[f.detail]) HANDLERS.ended({ contact: f.detail, by: "system", undelivered: 0 });
      if (f.detail) {
        Object.keys(convs).forEach(function (id) {
          var m = convs[id].thread.fail(f.detail);
          if (!m) return;
          m.el.classList.add("failed");
          m.el.appendChild(el("span", "note", t("error")));
        });
      }
    },
    wrapped: function (f) {
      var c = convs[f.contact];
      if (!c) return;
      c.el.querySelector(".wrapup").hidden = true;
      addNote(c, t("wrapup_saved"));
    },
    help_requested: function (f) {
      var c = convs[f.contact];
      if (c) { addNote(c, t("help_requested")); c.el.querySelector(".help").disabled = true; }
    },
    supervisor: function (f) {
      var c = convs[f.contact];
      if (!c) return;
      addNote(c, t(f.joined ? "supervisor_joined" : "supervisor_left", { name: f.name }));
      c.el.querySelector(".help").disabled = f.joined;
      // Whispering needs someone to hear it: the box is there while a supervisor is in.
      side.whisperShown(c.el, f.joined && !c.ended);
    },
    whisper: function (f) {
      var c = convs[f.contact];
      if (!c) return;
      side.line(c.el.querySelector(".messages"), "msg whisper" + (f.mine ? " mine" : ""), f.mine ? t("whisper_mine") : t("whisper_from", { name: f.name }), f.text);
      if (!f.mine) { notify(); markUnread(c); }
    },
    note: function (f) {
      var who;
      if (f.mine) who = t("note_mine", { to: f.to === "supervisors" ? t("note_to_supervisors") : t("counsellor") });
      else if (f.to === "counsellors") who = t("note_from_to_all", { name: f.name });
      else who = t("note_from", { name: f.name });
      side.line($("note-list"), f.mine ? "mine" : "", who, f.text);
      if (!f.mine) { notify(); announce(who + ": " + f.text); }
    },
    note_delivered: function (f) { side.delivered(f); },
    note_undelivered: function (f) { side.undelivered(f); },
    pong: function () {}
  };

  function showMe(m) {
    me = m;
    $("me-name").textContent = m.name + " · " + m.load + "/" + m.capacity;
    $("me-state").textContent = t("state_" + m.state);
    Array.prototype.forEach.call(document.querySelectorAll("#duty button"), function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-state") === m.state ? "true" : "false");
    });
    // A breather after a conversation (the centre's rule): no offer until ready, or until a time.
    var rest = m.rest_until || 0;
    $("breather").hidden = rest === 0;
    if (rest === -1) $("breather-text").textContent = t("breather_ready");
    else if (rest > 0) {
      var until = new Date(rest);
      var hhmm = ("0" + until.getHours()).slice(-2) + ":" + ("0" + until.getMinutes()).slice(-2);
      $("breather-text").textContent = t("breather_until", { time: hhmm });
      clearTimeout(showMe.timer);
      showMe.timer = setTimeout(function () { if (me === m) { me.rest_until = 0; showMe(me); } }, Math.max(0, rest - Date.now()));
    }
  }

  $("ready").addEventListener("click", function () { send({ type: "ready" }); });

  function removeOffer(id) {
    var o = offers[id];
    if (!o) return;
    clearInterval(o.timer);
    o.el.remove();
    delete offers[id];
    $("offers").hidden = Object.keys(offers).length === 0;
  }

  function acceptOffer(id) {
    wanted[id] = true;
    send({ type: "accept", contact: id });
  }

  function openConversation(info) {
    if (convs[info.contact] && !convs[info.contact].ended) return;
    if (convs[info.contact]) convs[info.contact].el.remove(); // came back after a transfer or requeue
    var node = $("conversation-template").content.firstElementChild.cloneNode(true);
    node.setAttribute("data-contact", info.contact);
    node.querySelector(".title").textContent = describe(info);
    // The danger flag is the visitor's own word and lasts the whole conversation.
    var flag = node.querySelector(".flag");
    flag.textContent = t("danger");
    flag.hidden = !info.danger;
    if (info.danger) node.classList.add("danger");
    // The visitor chose easy-read (lättläst): short sentences and common words from here on.
    var plain = node.querySelector(".plain");
    plain.textContent = t("plain");
    plain.hidden = !info.plain;
    node.querySelector(".presence").textContent = info.visitor === "away" ? t("visitor_away") : t("visitor_connected");
    var c = { el: node, ended: false, info: info, heard: Date.now(), connected: info.visitor !== "away" };
    c.thread = new Chat.Thread({ send: send, contact: info.contact, draw: function (f) { draw(c, f); } });
    convs[info.contact] = c;
    var textarea = node.querySelector("textarea");
    node.addEventListener("focusin", function () { markRead(c); });
    var lastTyping = 0;
    node.querySelector(".composer").addEventListener("submit", function (e) {
      e.preventDefault();
      var text = textarea.value.trim();
      if (!text) return;
      var id = "c" + Date.now().toString(36) + (counter++).toString(36);
      var li = addMessage(c, t("me"), text, "me pending", 0);
      if (!c.thread.post(id, text, li)) li.appendChild(el("span", "note", t("not_sent")));
      textarea.value = "";
    });
    side.whisperBox(node, info.contact);
    if (info.supervisor) { side.whisperShown(node, true); node.querySelector(".help").disabled = true; }
    textarea.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); node.querySelector(".composer").requestSubmit(); }
      if (e.key === "Tab" && !e.shiftKey) {
        var m = /(^|\s)\/([\w-]+)$/.exec(textarea.value);
        var text = m && cannedText(m[2], info.language, info.centre);
        if (text) { e.preventDefault(); textarea.value = textarea.value.slice(0, textarea.value.length - m[2].length - 1) + text; }
      }
    });
    var select = node.querySelector(".canned-select");
    var shortcuts = {};
    CONFIG.canned.forEach(function (c) { shortcuts[c.shortcut] = shortcuts[c.shortcut] || c.title; });
    Object.keys(shortcuts).forEach(function (key) {
      var opt = el("option", "", "/" + key + " – " + shortcuts[key]);
      opt.value = key;
      select.appendChild(opt);
    });
    select.addEventListener("change", function () {
      var text = cannedText(select.value, info.language, info.centre);
      if (text) textarea.value = (textarea.value ? textarea.value + " " : "") + text;
      select.value = "";
      textarea.focus();
    });
    textarea.addEventListener("input", function () {
      var now = Date.now();
      if (now - lastTyping > 3000) { lastTyping = now; send({ type: "typing", contact: info.contact }); }
    });
    node.querySelector(".end").addEventListener("click", function () {
      if (window.confirm(t("end_confirm"))) send({ type: "end", contact: info.contact });
    });
    fillTransfer(node);
    node.querySelector(".help").addEventListener("click", function () { send({ type: "help", contact: info.contact }); });
    node.querySelector(".still-there").addEventListener("click", function () { askStillThere(c); });
    node.querySelector(".block").addEventListener("click", function () {
      if (window.confirm(t("block_confirm", { duration: blockDuration(info) }))) send({ type: "block", contact: info.contact });
    });
    node.querySelector(".transfer").addEventListener("submit", function (e) {
      e.preventDefault();
      var value = node.querySelector(".transfer select").value;
      if (!value) return;
      var kind = value.split(":")[0], target = value.slice(kind.length + 1);
      var frame = { type: "transfer", contact: info.contact, to: kind };
      if (kind === "counsellor") frame.counsellor = parseInt(target, 10);
      else frame[kind] = target;
      send(frame);
    });
    var wrapup = node.querySelector(".wrapup");
    wrapup.addEventListener("submit", function (e) {
      e.preventDefault();
      var topics = Array.prototype.map.call(wrapup.querySelectorAll("input[name=topic]:checked"), function (i) { return i.value; });
      send({
        type: "wrapup", contact: info.contact, kind: wrapup.elements.kind.value, age: wrapup.elements.age.value,
        municipality: wrapup.elements.municipality.value, topics: topics
      });
    });
    node.querySelector(".close").addEventListener("click", function () {
      c.thread.stop();
      node.remove();
      delete convs[info.contact];
      $("no-conversations").hidden = Object.keys(convs).length > 0;
    });
    if (info.channel === "phone") {
      // The call itself runs on the counsellor's work phone; the panel only tracks it.
      ["composer", "canned", "transfer", "end", "block", "help"].forEach(function (cls) { node.querySelector("." + cls).hidden = true; });
      addNote(c, t("phone_call"));
    }
    $("conversations").appendChild(node);
    $("no-conversations").hidden = true;
    // The text box takes focus only for a conversation this page asked for, or when the
    // counsellor is not typing anywhere: a transfer or a reconnect must not steal it.
    if (wanted[info.contact] || !typingSomewhere()) textarea.focus();
    delete wanted[info.contact];
  }

  // Who a note can go to: the centre's supervisors, or a colleague on shift.
  function fillNoteTargets() {
    var select = $("note-to");
    var keep = select.value;
    select.textContent = "";
    var sup = el("option", "", t("note_to_supervisors"));
    sup.value = "supervisors";
    select.appendChild(sup);
    colleagues.forEach(function (c) {
      var o = el("option", "", t("note_to_colleague", { name: c.name }));
      o.value = "counsellor:" + c.id;
      select.appendChild(o);
    });
    if (Array.prototype.some.call(select.options, function (o) { return o.value === keep; })) select.value = keep;
  }
  fillNoteTargets();
  $("note-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var text = $("note-text").value.trim(), select = $("note-to");
    if (!text || !select.value) return;
    var frame = { type: "note", text: text };
    if (select.value === "supervisors") frame.to = "supervisors";
    else { frame.to = "counsellor"; frame.counsellor = parseInt(select.value.split(":")[1], 10); }
    side.post($("note-list"), "", t("note_mine", { to: select.options[select.selectedIndex].textContent }), frame);
    $("note-text").value = "";
  });
  $("note-text").addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("note-form").requestSubmit(); }
  });

  // Transfer targets: a colleague on shift, anyone who speaks a language, or a skill.
  function fillTransfer(node) {
    var select = node.querySelector(".transfer select");
    var keep = select.value;
    while (select.options.length > 1) select.remove(1);
    colleagues.forEach(function (c) {
      var o = el("option", "", t("transfer_colleague", { name: c.name, load: c.load, capacity: c.capacity }));
      o.value = "counsellor:" + c.id;
      select.appendChild(o);
    });
    CONFIG.languages.forEach(function (pair) {
      var o = el("option", "", t("transfer_language", { language: pair[1] }));
      o.value = "language:" + pair[0];
      select.appendChild(o);
    });
    ["nurse", "police", "professional"].forEach(function (skill) {
      var o = el("option", "", t("transfer_skill", { skill: t("skill_" + skill) }));
      o.value = "skill:" + skill;
      select.appendChild(o);
    });
    select.value = keep;
  }

  // Silence is not leaving. A connected visitor who has said nothing for a while gets a
  // line on the card and a gentle "are you still there?" (the centre's canned response
  // "kvar", in the conversation's language) one tap away; nothing ends for silence.
  function quiet(c) {
    var box = c.el.querySelector(".quiet");
    var minutes = Math.floor((Date.now() - c.heard) / 60000);
    var show = !c.ended && c.connected && Date.now() - c.heard >= CONFIG.idleSeconds * 1000 &&
      !!cannedText(STILL_THERE, c.info.language, c.info.centre);
    if (show) c.el.querySelector(".quiet-text").textContent = minutes ? t("visitor_quiet", { n: minutes }) : t("visitor_quiet_short");
    box.hidden = !show;
  }
  var STILL_THERE = "kvar";
  setInterval(function () { Object.keys(convs).forEach(function (id) { quiet(convs[id]); }); }, 10000);
  function askStillThere(c) {
    var text = cannedText(STILL_THERE, c.info.language, c.info.centre);
    if (!text) return;
    var id = "c" + Date.now().toString(36) + (counter++).toString(36);
    var li = addMessage(c, t("me"), text, "me pending", 0);
    if (!c.thread.post(id, text, li, false, { prompt: true })) li.appendChild(el("span", "note", t("not_sent")));
    c.heard = Date.now();  // asked: the next line comes after another quiet while
    quiet(c);
  }

  // Each centre sets how long a block lasts.
  function blockDuration(info) { return CONFIG.blockDurations[info.centre || ""] || CONFIG.blockDuration; }

  // The conversation's language first, then Swedish; {namn} becomes the name I go by at
  // the conversation's centre (a pseudonym per centre), else my visible name.
  function cannedText(shortcut, language, centre) {
    var pick = null;
    CONFIG.canned.forEach(function (c) {
      if (c.shortcut !== shortcut) return;
      if (c.language === language || (!pick && c.language === "sv")) pick = c;
    });
    return pick ? pick.text.split("{namn}").join(CONFIG.names[centre || ""] || CONFIG.me) : null;
  }

  // A message the conversation's thread says is new.
  function draw(c, f) {
    if (!c.el.querySelector('[data-seq="' + f.seq + '"]')) {
      // Labelled by author: after a transfer, a colleague's lines are theirs, not "Me".
      var mine = f.from === "counsellor" && f.mine !== false;
      var who = f.from === "visitor" ? t("visitor") : mine ? t("me") : f.name || t(f.from);
      if (f.from === "visitor") { c.heard = Date.now(); quiet(c); }
      addMessage(c, who, f.text, mine ? "me" : f.from === "visitor" ? "them" : "colleague", f.seq);
    }
    if (f.from === "visitor") { c.el.querySelector(".typing").hidden = true; notify(); markUnread(c); }
  }

  function addMessage(c, who, text, cls, seq) {
    var li = el("li", "msg " + cls);
    li.appendChild(el("span", "who", who));
    li.appendChild(el("p", "", text)); // text, never HTML
    if (seq) li.setAttribute("data-seq", seq);
    c.el.querySelector(".messages").appendChild(li);
    li.scrollIntoView({ block: "end" });
    return li;
  }

  function addNote(c, text) {
    c.el.querySelector(".messages").appendChild(el("li", "msg system", text));
  }

  // New offers and messages: a count in the tab title while the console is not in view,
  // and a short tone (switchable, remembered only for this page's life).
  var baseTitle = document.title, unseen = 0, audio = null;
  function beep() {
    if (!$("sound").checked) return;
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = 660;
      gain.gain.setValueAtTime(0.15, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(); osc.stop(audio.currentTime + 0.4);
    } catch (e) { /* no audio: the title still shows it */ }
  }
  function notify() {
    beep();
    if (document.hasFocus()) return;
    unseen++;
    document.title = "(" + unseen + ") " + baseTitle;
  }
  window.addEventListener("focus", function () { unseen = 0; document.title = baseTitle; });
  function markUnread(c) {
    if (document.activeElement && c.el.contains(document.activeElement)) return;
    c.unread = (c.unread || 0) + 1;
    var badge = c.el.querySelector(".unread");
    badge.textContent = t("unread", { n: c.unread });
    badge.hidden = false;
  }
  function markRead(c) {
    c.unread = 0;
    c.el.querySelector(".unread").hidden = true;
  }

  Array.prototype.forEach.call(document.querySelectorAll("#duty button"), function (b) {
    b.addEventListener("click", function () { send({ type: "duty", state: b.getAttribute("data-state") }); });
  });
  // A deliberate chord accepts the oldest offer from anywhere, without leaving the text box.
  document.addEventListener("keydown", function (e) {
    if (!(e.altKey && e.shiftKey && !e.ctrlKey && !e.metaKey && (e.code === "KeyA" || e.key === "A" || e.key === "a"))) return;
    var ids = Object.keys(offers).sort(function (a, b) { return offers[a].at - offers[b].at; });
    if (!ids.length) return;
    e.preventDefault();
    acceptOffer(ids[0]);
  });
  setInterval(tick, 1000);
  setInterval(function () { send({ type: "ping" }); }, 15000);
  // The channel layer delivers at most once: a lost nudge is caught up within 20 s.
  setInterval(function () {
    Object.keys(convs).forEach(function (id) {
      if (!convs[id].ended) convs[id].thread.sync();
    });
  }, 20000);
  connect();
})();
