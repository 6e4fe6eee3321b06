/* The supervisor dashboard: load, never content, until a counsellor asks for help.
   See docs/protocol.md for the frames; the socket and a joined conversation's numbering
   and outbox are common.js, what the staff pages share staff.js. */
(function () {
  "use strict";
  var $ = Chat.$, el = Chat.el;
  var t = Chat.strings(Chat.data("i18n"));
  var CONFIG = Chat.data("config");
  // A national supervisor's page: load only, and none of the controls (the page leaves
  // out the intake form and the clear button; here no per-row buttons are made).
  var READ_ONLY = !!CONFIG.readOnly;
  var conn = null, counter = 0, convs = {};

  function send(frame) { return !!conn && conn.send(frame); }
  var side = Chat.staff.SideChannel({ t: t, send: send });
  var team = [];  // counsellors on shift, from the last dashboard: who a note can go to
  function duration(seconds) { return seconds < 120 ? t("seconds", { n: seconds }) : t("minutes", { n: Math.floor(seconds / 60) }); }
  function list(id, counts) {
    var ul = $(id);
    ul.textContent = "";
    Object.keys(counts).sort().forEach(function (k) { ul.appendChild(el("li", "", k.toUpperCase() + ": " + counts[k])); });
    if (!ul.children.length) ul.appendChild(el("li", "", t("none")));
  }

  // The longest wait counts on here between frames (a frame comes only when something
  // changes), and the long-wait alert fires on time, not at the next event.
  var last = null, skew = 0, alerted = "";
  function tick() {
    var d = last;
    if (!d) return;
    var longest = d.longest_wait;
    if (d.waiting && d.oldest_enqueued) longest = Math.max(0, Math.floor((Date.now() - skew - d.oldest_enqueued) / 1000));
    $("longest").textContent = d.waiting ? duration(longest) : t("none");
    var alerts = [];
    if (CONFIG.alertWaitSeconds && d.waiting && longest >= CONFIG.alertWaitSeconds) alerts.push(t("alert_wait"));
    if (CONFIG.alertQueueLength && d.waiting >= CONFIG.alertQueueLength) alerts.push(t("alert_queue"));
    var text = alerts.join(" ");
    // Rewritten only when it changes, so a screen reader hears an alert once.
    if (text !== alerted) {
      alerted = text;
      $("alerts").textContent = text;
      $("alerts").hidden = !alerts.length;
      $("now-heading").parentNode.classList.toggle("alarm", alerts.length > 0);
    }
  }
  setInterval(tick, 1000);

  var HANDLERS = {
    dashboard: function (d) {
      last = d;
      if (typeof d.now === "number") skew = Date.now() - d.now;
      $("waiting").textContent = d.waiting;
      $("fig-offers").textContent = d.offers;
      $("fig-abandoned").textContent = d.abandoned;
      abandoned = d.abandoned;
      if (!READ_ONLY) $("clear-abandoned").hidden = !d.abandoned;
      $("fig-conversations").textContent = d.conversations;
      list("by-channel", d.by_channel);
      list("by-language", d.by_language);
      $("states").textContent = ["available", "busy", "away", "break"].map(function (s) {
        return t("state_" + s) + ": " + d.states[s];
      }).join(" · ");
      team = d.team;
      fillNoteTargets();
      var teamList = $("team");
      teamList.textContent = "";
      d.team.forEach(function (c) {
        var li = el("li", "", c.name + " · " + t("state_" + c.state) + " · " + c.load + "/" + c.capacity);
        teamList.appendChild(li);
        if (READ_ONLY) return;
        var b = el("button", "secondary", t("set_off"));
        b.type = "button";
        b.addEventListener("click", function () {
          if (window.confirm(t("set_off_confirm", { name: c.name }))) send({ type: "off_duty", counsellor: c.id });
        });
        li.appendChild(b);
      });
      drawChart(d.history);
      var today = d.today;
      $("t-contacts").textContent = today.contacts;
      $("t-answered").textContent = today.answered;
      $("t-left").textContent = today.left;
      $("t-out").textContent = today.out_of_hours;
      $("t-away").textContent = today.turned_away;
      $("t-median").textContent = today.wait_median || t("none");
      $("t-p90").textContent = today.wait_p90 || t("none");
      intakes = d.intakes && d.intakes.length ? d.intakes : [d.intake];
      showIntake();
      var blocks = $("blocks");
      blocks.textContent = "";
      (d.blocks || []).forEach(function (b) {
        var until = new Date(b.until * 1000);
        var hhmm = ("0" + until.getHours()).slice(-2) + ":" + ("0" + until.getMinutes()).slice(-2);
        var li = el("li", "", t("block_row", { by: b.by || t("counsellor"), until: hhmm }));
        blocks.appendChild(li);
        if (READ_ONLY) return;
        var lift = el("button", "secondary", t("lift_block"));
        lift.type = "button";
        lift.addEventListener("click", function () { send({ type: "lift_block", block: b.id }); });
        li.appendChild(lift);
      });
      if (!blocks.children.length) blocks.appendChild(el("li", "", t("no_blocks")));
      var form = $("intake");
      if (form && (document.activeElement === null || !form.contains(document.activeElement))) fillIntake(form);
      var help = $("help");
      help.textContent = "";
      if (!d.help.length) help.appendChild(el("li", "empty", t("no_help")));
      d.help.forEach(function (h) {
        var li = el("li", "", h.counsellor + " · " + h.language.toUpperCase());
        help.appendChild(li);
        if (READ_ONLY) return;
        var b = el("button", "primary", t("join"));
        b.type = "button";
        b.addEventListener("click", function () { send({ type: "join", contact: h.contact }); });
        li.appendChild(b);
      });
      tick();
    },
    conversation: function (f) { open(f); },
    message: function (f) {
      var c = convs[f.contact];
      if (c) c.thread.receive(f, f.from === "supervisor" && f.mine !== false);
    },
    sent: function (f) {
      var c = convs[f.contact];
      var m = c && c.thread.confirm(f);
      if (!m) return;
      m.el.classList.remove("pending");
      m.el.setAttribute("data-seq", f.seq);
      var note = m.el.querySelector(".note");
      if (note) note.remove();
    },
    error: function (f) {
      if (side.failed(f)) return;  // a whisper or note refused: said beside it
      if (f.code === "rate_limited") resendSoon();
      // A refused message is marked on the page, never dropped silently.
      if (f.detail) {
        Object.keys(convs).forEach(function (id) {
          var m = convs[id].thread.fail(f.detail);
          if (!m) return;
          m.el.classList.add("failed");
          m.el.appendChild(el("span", "note", t("error")));
        });
      }
    },
    ended: function (f) {
      var c = convs[f.contact];
      if (!c) return;
      c.thread.stop();
      c.el.querySelector(".messages").appendChild(el("li", "msg system", t("ended")));
      c.el.querySelector(".composer").hidden = true;
      side.whisperShown(c.el, false);
      c.el.querySelector(".leave").hidden = true;
      delete convs[f.contact];
    },
    whisper: function (f) {
      var c = convs[f.contact];
      if (c) side.line(c.el.querySelector(".messages"), "msg whisper" + (f.mine ? " mine" : ""), f.mine ? t("whisper_mine") : t("whisper_from", { name: f.name }), f.text);
    },
    note: function (f) {
      if (!$("note-list")) return;
      var who = f.mine ? t("note_mine", { to: f.to === "counsellors" ? t("note_to_counsellors") : t("counsellor") })
        : f.to === "supervisors" ? t("note_from_to_supervisors", { name: f.name }) : t("note_from", { name: f.name });
      side.line($("note-list"), f.mine ? "mine" : "", who, f.text);
    },
    note_delivered: function (f) { side.delivered(f); },
    note_undelivered: function (f) { side.undelivered(f); },
    pong: function () {}
  };

  // Two lines over the last four hours, one point a minute: waiting and free counsellors.
  function drawChart(history) {
    var svg = $("chart"), ns = "http://www.w3.org/2000/svg";
    svg.textContent = "";
    if (!history.length) return;
    var last = history[history.length - 1][0], first = last - 240;
    var top = Math.max(4, Math.max.apply(null, history.map(function (p) { return Math.max(p[1], p[2]); })));
    [[1, "waiting"], [2, "available"]].forEach(function (series) {
      var points = history.map(function (p) {
        return (p[0] - first) + "," + (80 - (p[series[0]] / top) * 76).toFixed(1);
      }).join(" ");
      var line = document.createElementNS(ns, "polyline");
      line.setAttribute("points", points);
      line.setAttribute("class", "line " + series[1]);
      svg.appendChild(line);
    });
  }

  function open(info) {
    if (convs[info.contact]) return;
    var node = $("conversation-template").content.firstElementChild.cloneNode(true);
    node.querySelector(".title").textContent = info.channel + " · " + info.language.toUpperCase();
    var c = { el: node };
    // Acks are the visitor's and the counsellor's business: the server keeps none for a
    // supervisor, so none are sent.
    c.thread = new Chat.Thread({ send: send, contact: info.contact, ack: false, draw: function (f) {
      var mine = f.from === "supervisor" && f.mine !== false;
      var who = f.from === "visitor" ? t("visitor") : mine ? t("me") : f.name || t(f.from);
      add(c, who, f.text, mine ? "me" : "them");
    } });
    convs[info.contact] = c;
    var textarea = node.querySelector("textarea");
    node.querySelector(".composer").addEventListener("submit", function (e) {
      e.preventDefault();
      var text = textarea.value.trim();
      if (!text) return;
      // Pending until `sent`, and sent again after a reconnect, as on the console.
      var li = add(c, t("me"), text, "me pending");
      if (!c.thread.post("s" + Date.now().toString(36) + (counter++).toString(36), text, li)) {
        li.appendChild(el("span", "note", t("not_sent")));
      }
      textarea.value = "";
    });
    side.whisperBox(node, info.contact);
    node.querySelector(".leave").addEventListener("click", function () { send({ type: "leave", contact: info.contact }); });
    $("joined").appendChild(node);
    textarea.focus();
  }
  function add(c, who, text, cls) {
    var li = el("li", "msg " + cls);
    li.appendChild(el("span", "who", who));
    li.appendChild(el("p", "", text)); // text, never HTML
    c.el.querySelector(".messages").appendChild(li);
    return li;
  }

  // Who a note can go to: all counsellors of this supervisor's centres, or one on shift.
  function fillNoteTargets() {
    var select = $("note-to");
    if (!select) return;  // a national supervisor writes to no one
    var keep = select.value;
    select.textContent = "";
    var all = el("option", "", t("note_to_counsellors"));
    all.value = "counsellors";
    select.appendChild(all);
    team.forEach(function (c) {
      var o = el("option", "", t("note_to_colleague", { name: c.name }));
      o.value = "counsellor:" + c.id;
      select.appendChild(o);
    });
    if (Array.prototype.some.call(select.options, function (o) { return o.value === keep; })) select.value = keep;
  }
  if (!READ_ONLY) {
    $("note-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var text = $("note-text").value.trim(), select = $("note-to");
      if (!text || !select.value) return;
      var frame = { type: "note", text: text };
      if (select.value === "counsellors") frame.to = "counsellors";
      else { frame.to = "counsellor"; frame.counsellor = parseInt(select.value.split(":")[1], 10); }
      side.post($("note-list"), "", t("note_mine", { to: select.options[select.selectedIndex].textContent }), frame);
      $("note-text").value = "";
    });
    $("note-text").addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("note-form").requestSubmit(); }
    });
  }

  // Each centre's intake this dashboard sees (one for most supervisors).
  var intakes = [];
  function showIntake() {
    var parts = [];
    intakes.forEach(function (i) {
      var prefix = intakes.length > 1 && i.centre_name ? i.centre_name + ": " : "";
      if (i.chat_paused) parts.push(prefix + t("chat_intake_paused"));
      if (i.phone_paused) parts.push(prefix + t("phone_intake_paused"));
    });
    $("intake-banner").textContent = parts.join(" ");
    $("intake-banner").hidden = !parts.length;
  }
  function chosenIntake(form) {
    var centre = form.elements.centre.value;
    return intakes.filter(function (i) { return i.centre === centre; })[0] || intakes[0];
  }
  function fillIntake(form) {
    var select = form.elements.centre, was = select.value;
    if (select.options.length !== intakes.length) {
      select.textContent = "";
      intakes.forEach(function (i) { select.appendChild(new Option(i.centre_name || i.centre, i.centre)); });
      if (was) select.value = was;
    }
    $("intake-centre").hidden = intakes.length < 2;
    var i = chosenIntake(form);
    if (!i) return;
    form.elements.chat_paused.checked = i.chat_paused;
    form.elements.phone_paused.checked = i.phone_paused;
    form.elements.max_queue.value = i.max_queue;
  }
  if (!READ_ONLY) $("intake").elements.centre.addEventListener("change", function () { fillIntake($("intake")); });
  HANDLERS.intake_saved = function (f) {
    intakes = intakes.map(function (i) { return i.centre === f.centre ? f : i; });
    showIntake();
    var own = [];
    if (f.chat_paused) own.push(t("chat_intake_paused"));
    if (f.phone_paused) own.push(t("phone_intake_paused"));
    $("intake-saved").textContent = t("intake_saved") + " " + (intakes.length > 1 && f.centre_name ? f.centre_name + ": " : "") +
      (own.length ? own.join(" ") : t("intake_open"));
  };

  var abandoned = 0;
  if (!READ_ONLY) $("clear-abandoned").addEventListener("click", function () {
    if (window.confirm(t("clear_abandoned_confirm", { n: abandoned }))) send({ type: "clear_abandoned" });
  });
  HANDLERS.cleared = function (f) { $("cleared").textContent = t("cleared", { n: f.count }); };

  if (!READ_ONLY) $("intake").addEventListener("submit", function (e) {
    e.preventDefault();
    var f = e.target.elements;
    send({ type: "intake", centre: f.centre.value || (intakes[0] ? intakes[0].centre : ""),
           chat_paused: f.chat_paused.checked, phone_paused: f.phone_paused.checked,
           max_queue: Math.max(0, parseInt(f.max_queue.value, 10) || 0) });
  });

  function connect() {
    conn = Chat.connect("/ws/supervisor/", {
      handlers: HANDLERS,
      // A fresh `dashboard` arrives by itself; each joined conversation catches up.
      open: function () {
        Chat.status("");
        Object.keys(convs).forEach(function (id) { convs[id].thread.catchUp(); });
      },
      closed: function (opened) {
        side.dropped();
        if (!opened) Chat.staff.checkSession("/supervisor/");
        Chat.status(t("reconnecting"));
      }
    });
  }
  var resendSoon = Chat.resendSoon(function () {
    Object.keys(convs).forEach(function (id) { convs[id].thread.resend(); });
  });
  setInterval(function () { send({ type: "ping" }); }, 20000);
  connect();
})();
