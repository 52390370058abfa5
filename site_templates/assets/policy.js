/* policy-publisher: the homepage pop-up, shown once per revision.
   The dialog lists the open notices; each revision ("document@version") is
   remembered in localStorage once shown, so a reload does not show it again and a
   new revision does. Escape and the Close button close it (native <dialog>). */
(function () {
  "use strict";
  var dialog = document.getElementById("policy-dialog");
  if (!dialog || typeof dialog.showModal !== "function") return;
  var PREFIX = "policy-notice:seen:";
  var keys = (dialog.getAttribute("data-policy-notices") || "").split(" ").filter(Boolean);
  function seen(key) {
    try { return window.localStorage.getItem(PREFIX + key) === "1"; } catch (e) { return false; }
  }
  function remember() {
    keys.forEach(function (key) {
      try { window.localStorage.setItem(PREFIX + key, "1"); } catch (e) { /* private mode */ }
    });
  }
  if (!keys.some(function (key) { return !seen(key); })) return;
  var opener = document.activeElement;
  dialog.addEventListener("close", function () {
    if (opener && typeof opener.focus === "function") opener.focus();
  });
  dialog.showModal();
  remember();
  var first = dialog.querySelector("[autofocus]") || dialog.querySelector("button, a[href]");
  if (first && document.activeElement !== first) first.focus();
})();
