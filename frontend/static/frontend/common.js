/* What the visitor page, the console and the dashboard share: the socket that comes
   back by itself, the numbered conversation with its outbox, strings and DOM helpers.
   One namespace, window.Chat, and no build step: each page loads this file first
   (both with defer, so in order). Only what all three need lives here, so the visitor
   page, which must stay light, carries nothing of the staff pages (those share staff.js).
   See docs/protocol.md for the frames. */
(function () {
  "use strict";
  var Chat = {};

  Chat.$ = function (id) { return document.getElementById(id); };

  // The server puts the page's strings and settings in <script type="application/json">
  // (json_script): data, not code, so the strict CSP has nothing to allow.
  Chat.data = function (id) { return JSON.parse(Chat.$(id).textContent); };

  // t(key, {name: "Sara"}) looks up a string and fills in its {name} placeholders. A key
  // without a string shows as itself, so a missing translation is seen, not blank.
  // t.use(catalog) swaps the catalog (the visitor page switches language mid-chat);
  // t.has(key) says whether there is a string for it.
  Chat.strings = function (catalog) {
    function t(key, params) {
      var s = catalog[key] || key;
      if (params) Object.keys(params).forEach(function (k) { s = s.split("{" + k + "}").join(params[k]); });
      return s;
    }
    t.use = function (next) { catalog = next; };
    t.has = function (key) { return !!catalog[key]; };
    return t;
  };

  Chat.el = function (tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };

  // The line under the header that says "Reconnecting..." and the like: hidden when empty,
  // so that a screen reader's status region is not announced for nothing.
  Chat.status = function (text) {
    var s = Chat.$("status");
    s.textContent = text || "";
    s.hidden = !text;
  };

  // Reconnect delays: 1 s doubling to 15 s, each scaled by a random factor between 0.5
  // and 1, so that the pages a server restart dropped do not all come back in the same
  // instant.
  Chat.backoff = function (attempt) {
    return Math.min(15000, 1000 * Math.pow(2, attempt)) * (0.5 + Math.random() / 2);
  };

  // A socket to ``path`` that reconnects by itself until stop() or close().
  //   hooks.handlers  frame type -> function(frame), looked up as each frame arrives
  //   hooks.open()    the socket is open (say who you are, catch up)
  //   hooks.closed(opened)  it closed, ``opened`` false if it never opened; return false
  //                   to stay closed this time
  Chat.connect = function (path, hooks) {
    var conn = { ws: null, retries: 0, timer: null, stopped: false };
    conn.send = function (frame) {
      if (conn.ws && conn.ws.readyState === 1) { conn.ws.send(JSON.stringify(frame)); return true; }
      return false;
    };
    // No more reconnecting; a socket still open stays open (the visitor page keeps it for
    // the one question after the end).
    conn.stop = function () { conn.stopped = true; clearTimeout(conn.timer); };
    conn.close = function () {
      conn.stop();
      if (conn.ws) { try { conn.ws.close(); } catch (e) { /* gone already */ } }
    };
    function open() {
      var proto = window.location.protocol === "https:" ? "wss://" : "ws://";
      var ws = new WebSocket(proto + window.location.host + path);
      var opened = false;
      conn.ws = ws;
      ws.onopen = function () {
        opened = true;
        conn.retries = 0;
        if (hooks.open) hooks.open();
      };
      ws.onmessage = function (e) {
        var frame;
        try { frame = JSON.parse(e.data); } catch (err) { return; }
        var handler = hooks.handlers[frame.type];
        if (handler) handler(frame);
      };
      ws.onclose = function () {
        if (conn.ws === ws) conn.ws = null;
        if (conn.stopped) return;
        if (hooks.closed && hooks.closed(opened) === false) return;
        conn.timer = setTimeout(open, Chat.backoff(conn.retries++));
      };
    }
    open();
    return conn;
  };

  // One numbered conversation as a page sees it (docs/protocol.md, "Sequence numbers,
  // acks, replay and sync"): what has been shown, what is missing, and the outbox of
  // messages written here that the server has not confirmed yet.
  //   opts.send(frame)  sends a frame if the socket is open; true if it did
  //   opts.contact      the contact id frames carry (staff pages), or undefined (visitor)
  //   opts.draw(frame)  shows a message
  //   opts.ack          false where the server has no use for acks (the dashboard)
  function Thread(opts) {
    this.opts = opts;
    this.lastSeq = 0;   // highest seq shown without a gap
    this.known = {};    // seqs shown beyond lastSeq
    this.outbox = [];   // {id, text, el, wired}, in the order written
    this.held = {};     // seq -> a message of our own side held back, see receive()
    this.gapTimer = null;
  }
  Chat.Thread = Thread;

  Thread.prototype.send = function (frame) {
    if (this.opts.contact !== undefined) frame.contact = this.opts.contact;
    return this.opts.send(frame);
  };

  Thread.prototype.sync = function () { this.send({ type: "sync", last_seq: this.lastSeq }); };

  // A message written here: it waits in the outbox, in order, until its `sent` comes.
  // The client id makes every resend safe: the server stores an id once. True if it went
  // out now.
  // ``extra``: fields sent with it each time (the console's prompt flag).
  Thread.prototype.post = function (id, text, el, hold, extra) {
    var m = { id: id, text: text, el: el, wired: false, extra: extra || null };
    this.outbox.push(m);
    return hold ? false : this.transmit(m);
  };
  Thread.prototype.transmit = function (m) {
    var frame = { type: "send", id: m.id, text: m.text };
    if (m.extra) Object.keys(m.extra).forEach(function (k) { frame[k] = m.extra[k]; });
    if (this.send(frame)) m.wired = true;
    return m.wired;
  };
  Thread.prototype.resend = function () {
    var self = this;
    this.outbox.forEach(function (m) { self.transmit(m); });
  };

  // After a reconnect: the outbox first, then sync. The server answers in order, so each
  // `sent` arrives before the replay and numbers the pending line; the replay then holds
  // nothing new of ours (the server does not echo a socket's own messages, and the page
  // drops a seq it shows). The other way round, a message stored just before the old
  // socket died, whose `sent` was lost with it, came back in the replay as a new line
  // and then its `sent` numbered the pending line too: the same words twice.
  Thread.prototype.catchUp = function () {
    this.resend();
    this.sync();
  };

  // `sent`: the message with this id is stored as f.seq. Returns its outbox entry, or
  // null if it was not (or no longer) waiting.
  Thread.prototype.confirm = function (f) {
    var found = null;
    this.outbox = this.outbox.filter(function (m) {
      if (m.id !== f.id) return true;
      found = m;
      return false;
    });
    delete this.held[f.seq];
    this.markKnown(f.seq);
    this.settle();
    return found;
  };

  // The server refused this id: out of the outbox. Returns the entry, or null.
  Thread.prototype.fail = function (id) {
    var found = null;
    this.outbox = this.outbox.filter(function (m) {
      if (m.id !== id) return true;
      found = m;
      return false;
    });
    this.settle();
    return found;
  };

  // The conversation is over: everything still waiting failed. A held line goes with it:
  // its words are on the page already, as one of these.
  Thread.prototype.failAll = function () {
    var all = this.outbox;
    this.outbox = [];
    this.held = {};
    return all;
  };

  // A `message` frame. ``own`` is true for this side's lines (the visitor's on the visitor
  // page, "mine" on a staff page). Draws it unless it is shown already, and acks.
  //
  // The visitor page cannot send its outbox before the replay: `resume` itself replays,
  // before the page may send anything. So a line of our own that is not numbered yet,
  // while a message that went out unconfirmed is in the outbox, may be that very message,
  // whose `sent` was lost with the old socket. It is held back: the resend's `sent` says
  // which pending line it is, and once nothing sent is unconfirmed, whatever is still held
  // (a line from another tab of the same person) is drawn.
  Thread.prototype.receive = function (f, own) {
    if (f.seq <= this.lastSeq || this.known[f.seq]) return; // shown already: replay is idempotent
    if (own && this.unconfirmed()) this.held[f.seq] = f;
    else this.opts.draw(f);
    this.markKnown(f.seq);
    if (this.opts.ack !== false) this.send({ type: "ack", seq: this.lastSeq });
  };

  Thread.prototype.unconfirmed = function () {
    return this.outbox.some(function (m) { return m.wired; });
  };

  Thread.prototype.settle = function () {
    if (this.unconfirmed()) return;
    var held = this.held, self = this;
    this.held = {};
    Object.keys(held).map(Number).sort(function (a, b) { return a - b; }).forEach(function (seq) {
      self.opts.draw(held[seq]);
    });
  };

  Thread.prototype.markKnown = function (seq) {
    var self = this;
    this.known[seq] = true;
    while (this.known[this.lastSeq + 1]) { delete this.known[this.lastSeq + 1]; this.lastSeq++; }
    clearTimeout(this.gapTimer);
    // A hole means a nudge was lost on the way: ask for what is missing.
    if (Object.keys(this.known).length) this.gapTimer = setTimeout(function () { self.sync(); }, 300);
  };

  // The conversation is gone from the page: no late sync for it.
  Thread.prototype.stop = function () { clearTimeout(this.gapTimer); };

  // A frame over the flood limit is dropped unread, so the page cannot know which one it
  // was: once the limit has refilled, send again whatever is not confirmed yet (the
  // server numbers a message once however often it comes). ``resend`` does that for the
  // whole page; calls within the 1.5 s collapse into one.
  Chat.resendSoon = function (resend) {
    var timer = null;
    return function () {
      if (timer) return;
      timer = setTimeout(function () { timer = null; resend(); }, 1500);
    };
  };

  window.Chat = Chat;
})();
