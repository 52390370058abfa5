/*! policy-publisher notice.js: show the policy site's notices on another website.
 *
 *   <script src="https://example.com/legal/notice.js" defer></script>
 *
 * Reads notices.json next to this script. During a publicity window it shows a
 * dismissible banner at the top of the page and, once per revision, a pop-up
 * (<dialog>); nothing at all outside a window. No dependencies.
 * Options on the script tag: data-banner="false", data-popup="false", data-lang="zh".
 *
 * Language: the notices are shown in the page's language when the policy site has it:
 * data-lang on the script tag, else <html lang> ("zh-CN" matches "zh", "zh-TW" a Traditional
 * "zh-Hant", never the other script), else the policy
 * site's source language. notices.json lists each language's notices ("languages") and
 * carries the words of its own language ("words", from the site's catalogues), its
 * direction ("dir") and each notice's date written in it ("effective_text"). Each notice
 * says the one way to object ("objection_url") and the one deadline, the day it takes
 * effect.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch || !window.URL) return;
  var base = script.src || window.location.href;
  var source = new URL("notices.json", base);
  var wantBanner = script.getAttribute("data-banner") !== "false";
  var wantPopup = script.getAttribute("data-popup") !== "false";
  var wanted = (script.getAttribute("data-lang") || document.documentElement.getAttribute("lang") || "")
    .toLowerCase();
  var words = {};
  var language = { lang: "", dir: "" };
  var PREFIX = "policy-notice:";
  var STYLE =
    ".ppn-banner{position:relative;z-index:2147483000;margin:0;padding-block:10px;padding-inline:16px 48px;" +
    "background:#fff4e5;color:#1f1f1f;border-bottom:2px solid #e65100;font:15px/1.5 system-ui,sans-serif}" +
    ".ppn-banner p{margin:2px 0}.ppn-banner a{color:#0d47a1;text-decoration:underline}" +
    ".ppn-close{position:absolute;top:6px;inset-inline-end:8px;border:0;background:transparent;font-size:22px;line-height:1;" +
    "cursor:pointer;color:#1f1f1f;padding:4px 8px}" +
    ".ppn-dialog{max-width:min(34rem,92vw);border:0;border-radius:6px;padding:20px 24px;color:#1f1f1f;" +
    "background:#fff;font:15px/1.5 system-ui,sans-serif;box-shadow:0 8px 32px rgba(0,0,0,.35)}" +
    ".ppn-dialog::backdrop{background:rgba(0,0,0,.45)}.ppn-dialog h2{font-size:20px;margin:0 0 12px}" +
    ".ppn-dialog h3{font-size:16px;margin:12px 0 4px}.ppn-dialog a{color:#0d47a1}" +
    ".ppn-actions{text-align:end;margin-top:16px}.ppn-actions button{font:inherit;padding:6px 16px;" +
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
  function word(name) { return words[name] || ""; }
  function filled(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : all;
    });
  }
  function fill(name, values) { return filled(word(name), values); }
  function day(n) { return n.effective_text || n.effective.slice(0, 10); }
  // The one way to object and the one deadline: the sentence with its link in place of {link}.
  function objection(n) {
    var parts = word("disagree").split("{link}");
    var nodes = [filled(parts[0], { date: day(n) })];
    if (n.objection_url) nodes.push(link(n.objection_url, word("disagree_link")));
    if (parts.length > 1) nodes.push(filled(parts.slice(1).join(""), { date: day(n) }));
    return nodes;
  }
  function inLanguageOf(attrs) {
    if (language.lang) attrs.lang = language.lang;
    if (language.dir) attrs.dir = language.dir;
    return attrs;
  }
  function key(n) { return n.document + "@" + n.version; }

  function banner(notices) {
    var id = "banner:" + notices.map(key).join(" ");
    if (get(id)) return;
    var close = el("button", { type: "button", "class": "ppn-close", "aria-label": word("dismiss") }, ["\u00d7"]);
    var lines = notices.map(function (n) {
      return el("p", {}, [
        el("strong", {}, [word("banner_lead") + " "]),
        fill("banner_text", { title: n.title, date: day(n), version: n.version }) +
          (n.core_rights ? word("banner_core") : "") + word("banner_end") + " ",
        link(n.changes_url || n.url, word("see_what_changes")),
        " "
      ].concat(objection(n)));
    });
    var box = el("aside", inLanguageOf({ "class": "ppn-banner", role: "region", "aria-label": word("banner_label") }),
      lines.concat([close]));
    close.addEventListener("click", function () { set(id); box.parentNode.removeChild(box); });
    document.body.insertBefore(box, document.body.firstChild);
  }

  function popup(notices) {
    var unseen = notices.filter(function (n) { return !get("seen:" + key(n)); });
    if (!unseen.length) return;
    var dialog = el("dialog", inLanguageOf({ "class": "ppn-dialog", "aria-labelledby": "ppn-title" }));
    if (typeof dialog.showModal !== "function") return;
    dialog.appendChild(el("h2", { id: "ppn-title" },
      [word(unseen.length === 1 ? "dialog_title_one" : "dialog_title_many")]));
    unseen.forEach(function (n) {
      var parts = [el("h3", {}, [fill("version_title", { title: n.title, version: n.version })]),
        el("p", {}, [fill("dialog_takes_effect", { date: day(n) })])];
      if (n.summary) parts.push(el("p", {}, [n.summary]));
      if (n.core_rights) parts.push(el("p", { "class": "ppn-core" }, [word("notice_core")]));
      parts.push(el("p", {}, [link(n.changes_url || n.url, word("see_what_changes")), " \u00b7 ",
        link(n.url, word("read_new_text"))]));
      parts.push(el("p", {}, objection(n)));
      dialog.appendChild(el("section", {}, parts));
    });
    var button = el("button", { type: "submit", autofocus: "" }, [word("close")]);
    dialog.appendChild(el("form", { method: "dialog", "class": "ppn-actions" }, [button]));
    dialog.addEventListener("close", function () { dialog.parentNode.removeChild(dialog); });
    document.body.appendChild(dialog);
    dialog.showModal();
    unseen.forEach(function (n) { set("seen:" + key(n)); });
    button.focus();
  }

  function show(data) {
    var notices = (data && data.notices) || [];
    if (!notices.length || !data.words) return;
    words = data.words;
    language = { lang: data.language || "", dir: data.dir || "" };
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

  // The notices.json of the page's language, when the policy site has that language and
  // it is not the one `data` is in; else null.
  // The page's tag is matched whole, else to a language of the same language and script
  // (the same region first): "zh-TW" reads "zh-Hant" or "zh-Hant-TW", never the Simplified
  // "zh"; "zh-CN" reads "zh", never a Traditional one; "pt-BR" reads "pt".
  function subtags(tag) {
    var parts = tag.toLowerCase().split("-");
    var found = { lang: parts[0], script: "", region: "" };
    parts.slice(1).forEach(function (part) {
      if (part.length === 4 && !found.script && !found.region) found.script = part;
      else if ((part.length === 2 || /^[0-9]{3}$/.test(part)) && !found.region) found.region = part;
    });
    // Chinese is written in two scripts: the regions that write Traditional by default.
    if (!found.script && found.lang === "zh") {
      found.script = ["tw", "hk", "mo"].indexOf(found.region) >= 0 ? "hant" : "hans";
    }
    return found;
  }
  function closest(codes) {
    var exact = codes.filter(function (c) { return c.toLowerCase() === wanted; })[0];
    if (exact) return exact;
    var want = subtags(wanted);
    var same = codes.filter(function (c) {
      var have = subtags(c);
      return have.lang === want.lang && (!have.script || !want.script || have.script === want.script);
    });
    return same.filter(function (c) { return subtags(c).region === want.region; })[0] ||
      same.filter(function (c) { return !subtags(c).region; })[0] || same[0];
  }
  function translation(data) {
    var languages = (data && data.languages) || {};
    var codes = Object.keys(languages);
    if (!wanted || !codes.length) return null;
    var code = closest(codes);
    if (!code || code === data.language) return null;
    return new URL(languages[code], source).href;
  }
  function inLanguage(data) {
    var url = translation(data);
    if (!url) return data;
    // The source language's notices when the translation's cannot be read.
    return fetch(url, { credentials: "omit", cache: "no-cache" })
      .then(function (response) { return response.ok ? response.json() : data; })
      .catch(function () { return data; });
  }

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
      .then(inLanguage)
      .then(show);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
