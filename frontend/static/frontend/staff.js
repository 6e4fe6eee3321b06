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
        // The whisper box of a conversation, opened by its button (so a page has one text
        // box per conversation until someone chooses to whisper): from #whisper-template.
        whisperBox: function (node, contact) {
          var self = this, open = node.querySelector(".whisper-open");
          open.addEventListener("click", function () {
            var form = node.querySelector(".whisper-form");
            if (!form) {
              form = Chat.$("whisper-template").content.firstElementChild.cloneNode(true);
              open.parentNode.insertBefore(form, open);
              var box = form.querySelector("textarea");
              form.addEventListener("submit", function (e) {
                e.preventDefault();
                var text = box.value.trim();
                if (!text) return;
                self.post(node.querySelector(".messages"), "msg whisper", t("whisper_mine"), { type: "whisper", contact: contact, text: text });
                box.value = "";
              });
              box.addEventListener("keydown", function (e) {
                if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
              });
            }
            form.hidden = false;
            open.hidden = true;
            form.querySelector("textarea").focus();
          });
        },
        // Whispering needs someone to hear it: the console's box only while a supervisor is in.
        whisperShown: function (node, shown) {
          var form = node.querySelector(".whisper-form");
          if (form) form.hidden = !shown;
          node.querySelector(".whisper-open").hidden = !shown || !!form;
        },
        delivered: function (f) { settle(f.id, t("note_delivered"), "delivered"); },
        undelivered: function (f) { settle(f.id, t("note_undelivered"), "failed"); },
        // The socket closed with notes unanswered: the server may or may not have passed
        // them on, and a new socket is not told (a fate is not kept). Say so, rather than
        // leave them "pending" for ever.
        dropped: function () {
          Object.keys(pending).forEach(function (id) { settle(id, t("note_unknown"), "unknown"); });
        },
        // An error frame whose detail is one of ours: refused, shown beside it.
        failed: function (f) { return settle(f.detail, t("note_undelivered") + " (" + t("error") + ")", "failed"); }
      };
    }
  };
})();
