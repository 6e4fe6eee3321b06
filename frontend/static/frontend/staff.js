/* What the console and the dashboard share and the visitor page never needs: loaded
   after common.js by the two staff pages only. */
(function () {
  "use strict";
  var Chat = window.Chat;

  Chat.staff = {
    // A refused handshake looks like any network error: ask the page itself whether the
    // session is still valid, and go to the login page if it is not (otherwise the page
    // keeps retrying). ``next`` is this page's path.
    checkSession: function (next) {
      fetch(window.location.pathname, { redirect: "manual", cache: "no-store" }).then(function (r) {
        if (r.type === "opaqueredirect" || r.status === 403) window.location.href = "/accounts/login/?next=" + next;
      }).catch(function () {});
    },

    // The staff side channel (docs/protocol.md, `whisper` and `note`): lines no visitor
    // ever receives, kept in this page's memory only. Each line says who wrote it and,
    // for what this page sent, whether anyone got it: delivered, or not (never silently
    // lost: a note is not kept anywhere for later, so the sender must know).
    //   opts.t, opts.send(frame) -> bool
    SideChannel: function (opts) {
      var t = opts.t, el = Chat.el, pending = {}, counter = 0;
      function line(list, cls, who, text) {
        var li = el("li", cls);
        li.appendChild(el("span", "who", who));
        li.appendChild(el("p", "", text)); // text, never HTML
        list.appendChild(li);
        li.scrollIntoView({ block: "nearest" });
        return li;
      }
      function settle(id, text, cls) {
        var li = pending[id];
        if (!li) return false;
        delete pending[id];
        li.classList.remove("pending");
        if (cls) li.classList.add(cls);
        li.appendChild(el("span", "fate", text));
        return true;
      }
      return {
        line: line,
        // Send a whisper or note and show it as pending until the server says its fate.
        post: function (list, cls, who, frame) {
          frame.id = "n" + Date.now().toString(36) + (counter++).toString(36);
          var li = line(list, cls + " mine pending", who, frame.text);
          pending[frame.id] = li;
          // Not queued for a reconnect: a note is live or nothing, and the page says so.
          if (!opts.send(frame)) settle(frame.id, t("note_undelivered"), "failed");
          return li;
        },
        delivered: function (f) { settle(f.id, t("note_delivered"), "delivered"); },
        undelivered: function (f) { settle(f.id, t("note_undelivered"), "failed"); },
        // An error frame whose detail is one of ours: refused, shown beside it.
        failed: function (f) { return settle(f.detail, t("note_undelivered") + " (" + t("error") + ")", "failed"); }
      };
    }
  };
})();
