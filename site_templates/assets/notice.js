/*! policy-publisher notice.js: show the policy site's notices on another website.
 *
 *   <script src="https://example.com/legal/notice.js" defer></script>
 *
 * Reads notices.json next to this script. During a publicity window it shows a
 * dismissible banner at the top of the page and, once per revision, a pop-up
 * (<dialog>); nothing at all outside a window. No dependencies.
 * Options on the script tag: data-banner="false", data-popup="false".
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch || !window.URL) return;
  var base = script.src || window.location.href;
  var source = new URL("notices.json", base);
  var wantBanner = script.getAttribute("data-banner") !== "false";
  var wantPopup = script.getAttribute("data-popup") !== "false";
  var PREFIX = "policy-notice:";
  var STYLE =
    ".ppn-banner{position:relative;z-index:2147483000;margin:0;padding:10px 48px 10px 16px;" +
    "background:#fff4e5;color:#1f1f1f;border-bottom:2px solid #e65100;font:15px/1.5 system-ui,sans-serif}" +
    ".ppn-banner p{margin:2px 0}.ppn-banner a{color:#0d47a1;text-decoration:underline}" +
    ".ppn-close{position:absolute;top:6px;right:8px;border:0;background:transparent;font-size:22px;line-height:1;" +
    "cursor:pointer;color:#1f1f1f;padding:4px 8px}" +
    ".ppn-dialog{max-width:min(34rem,92vw);border:0;border-radius:6px;padding:20px 24px;color:#1f1f1f;" +
    "background:#fff;font:15px/1.5 system-ui,sans-serif;box-shadow:0 8px 32px rgba(0,0,0,.35)}" +
    ".ppn-dialog::backdrop{background:rgba(0,0,0,.45)}.ppn-dialog h2{font-size:20px;margin:0 0 12px}" +
    ".ppn-dialog h3{font-size:16px;margin:12px 0 4px}.ppn-dialog a{color:#0d47a1}" +
    ".ppn-actions{text-align:right;margin-top:16px}.ppn-actions button{font:inherit;padding:6px 16px;" +
    "border-radius:4px;border:1px solid #0d47a1;background:#0d47a1;color:#fff;cursor:pointer}" +
    ".ppn-core{color:#b00020;font-weight:700}";

  function get(key) {
    try { return window.localStorage.getItem(PREFIX + key); } catch (e) { return null; }
  }
  function set(key) {
    try { window.localStorage.setItem(PREFIX + key, "1"); } catch (e) { /* private mode */ }
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }
  function link(href, text) {
    return el("a", { href: new URL(href, source).href }, [text]);
  }
  function day(iso) {
    var d = new Date(iso.slice(0, 10) + "T00:00:00Z");
    var months = ["January", "February", "March", "April", "May", "June", "July", "August",
      "September", "October", "November", "December"];
    return d.getUTCDate() + " " + months[d.getUTCMonth()] + " " + d.getUTCFullYear();
  }
  function key(n) { return n.document + "@" + n.version; }

  function banner(notices) {
    var id = "banner:" + notices.map(key).join(" ");
    if (get(id)) return;
    var close = el("button", { type: "button", "class": "ppn-close", "aria-label": "Dismiss" }, ["\u00d7"]);
    var lines = notices.map(function (n) {
      return el("p", {}, [
        el("strong", {}, ["Policy update: "]),
        "the " + n.title + " changes on " + day(n.effective) + " (version " + n.version + ")" +
          (n.core_rights ? ", including your core rights. " : ". "),
        link(n.changes_url || n.url, "See what changes")
      ]);
    });
    var box = el("aside", { "class": "ppn-banner", role: "region", "aria-label": "Policy update" },
      lines.concat([close]));
    close.addEventListener("click", function () { set(id); box.parentNode.removeChild(box); });
    document.body.insertBefore(box, document.body.firstChild);
  }

  function popup(notices) {
    var unseen = notices.filter(function (n) { return !get("seen:" + key(n)); });
    if (!unseen.length) return;
    var dialog = el("dialog", { "class": "ppn-dialog", "aria-labelledby": "ppn-title" });
    if (typeof dialog.showModal !== "function") return;
    dialog.appendChild(el("h2", { id: "ppn-title" },
      [unseen.length === 1 ? "A policy is changing" : "Our policies are changing"]));
    unseen.forEach(function (n) {
      var parts = [el("h3", {}, [n.title + ", version " + n.version]),
        el("p", {}, ["Takes effect on " + day(n.effective) + ". Until then the current version applies."])];
      if (n.summary) parts.push(el("p", {}, [n.summary]));
      if (n.core_rights) parts.push(el("p", { "class": "ppn-core" }, ["This revision changes your core rights."]));
      parts.push(el("p", {}, [link(n.changes_url || n.url, "See what changes"), " \u00b7 ", link(n.url, "Read the new text")]));
      dialog.appendChild(el("section", {}, parts));
    });
    var button = el("button", { type: "submit", autofocus: "" }, ["Close"]);
    dialog.appendChild(el("form", { method: "dialog", "class": "ppn-actions" }, [button]));
    dialog.addEventListener("close", function () { dialog.parentNode.removeChild(dialog); });
    document.body.appendChild(dialog);
    dialog.showModal();
    unseen.forEach(function (n) { set("seen:" + key(n)); });
    button.focus();
  }

  function show(data) {
    var notices = (data && data.notices) || [];
    if (!notices.length) return;
    document.head.appendChild(el("style", {}, [STYLE]));
    if (wantBanner) banner(notices);
    if (wantPopup) popup(notices);
  }

  // The notices are an extra: never break the host page. But say once, on the console,
  // why there are none, so that whoever embeds the script can fix it.
  var warned = false;
  function warn(problem, fix) {
    if (warned || !window.console) return;
    warned = true;
    console.warn("policy-publisher notice.js: cannot read " + source.href + " (" + problem + "), " +
      "so no policy notice is shown. " + fix);
  }
  var CORS_FIX =
    "The usual cause: the policy site does not send the CORS header \"Access-Control-Allow-Origin: *\" " +
    "with notices.json, which a page of another origin needs to read it (python3 -m http.server sends " +
    "none). Add the header in the policy site's web server (nginx, Caddy, the CDN bucket: see \"CORS\" " +
    "in docs/site.md of policy-publisher), or serve the policy site from the shop's own origin.";
  var SRC_FIX = "Check that the script's src is the notice.js of the policy site, next to its notices.json.";

  function start() {
    fetch(source.href, { credentials: "omit", cache: "no-cache" })
      .then(function (response) {
        if (!response.ok) {
          warn("HTTP " + response.status, SRC_FIX);
          return null;
        }
        return response.json().catch(function () {
          warn("not JSON", SRC_FIX);
          return null;
        });
      }, function (error) {
        // A network error or a response the browser withheld: fetch does not say which.
        warn(String((error && error.message) || error), CORS_FIX);
        return null;
      })
      .then(show);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
