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
    }
  };
})();
