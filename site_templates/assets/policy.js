/* policy-publisher: the banner's dismissal, the homepage pop-up, link addresses on paper,
   the way from change to change on a redline page.

   Each revision ("document@version") is remembered in localStorage: the banner's
   dismiss button hides the bar on every page until another revision is announced
   (partials/javascripts/announce.html hides it early on later pages), and the pop-up,
   once shown, is not shown again for the same revision. Escape and the Close button
   close the pop-up (native <dialog>). */
(function () {
  "use strict";
  var SEEN = "policy-notice:seen:";
  var DISMISSED = "policy-notice:dismissed:";
  function keysOf(element) {
    return (element.getAttribute("data-policy-notices") || "").split(" ").filter(Boolean);
  }
  function stored(prefix, key) {
    try { return window.localStorage.getItem(prefix + key) === "1"; } catch (e) { return false; }
  }
  function remember(prefix, keys) {
    keys.forEach(function (key) {
      try { window.localStorage.setItem(prefix + key, "1"); } catch (e) { /* private mode */ }
    });
  }

  // The banner: dismissed by its own button, whether clicked or pressed with a key.
  var bar = document.querySelector("[data-md-component=announce]");
  var banner = bar && bar.querySelector(".policy-banner[data-policy-notices]");
  var dismiss = banner && banner.querySelector(".policy-banner__dismiss");
  if (dismiss) {
    dismiss.addEventListener("click", function () {
      remember(DISMISSED, keysOf(banner));
      bar.hidden = true;
      // Focus would be lost with the button: continue at the page's content.
      var main = document.querySelector("main") || document.body;
      if (!main.hasAttribute("tabindex")) main.setAttribute("tabindex", "-1");
      main.focus({ preventScroll: true });
    });
  }

  // On paper a link cannot be followed: print its address after it (policy.css). Links
  // within the site are resolved against the page's permanent address (the canonical
  // link, present when the site has a `site_url`), else against the address the page was
  // read at; links within the page and the heading anchors are left as they are.
  var canonical = document.querySelector("link[rel=canonical]");
  var base = canonical ? canonical.href : /^https?:/.test(location.href) ? location.href : null;
  function address(href) {
    if (/^(https?|mailto):/i.test(href)) return href;
    if (!base || /^[a-z][a-z0-9+.-]*:/i.test(href)) return null;
    try { return new URL(href, base).href; } catch (e) { return null; }
  }
  document.querySelectorAll(".md-content a[href]").forEach(function (link) {
    var href = link.getAttribute("href");
    if (!href || href.charAt(0) === "#") return;
    if (link.classList.contains("headerlink") || link.classList.contains("policy-permalink")) return;
    var shown = address(href);
    if (!shown) return;
    shown = shown.replace(/^mailto:/i, "");
    if (link.textContent.trim() === shown) return;
    link.setAttribute("data-print-address", shown);
  });
  // The permanent address of a version is written site-relative when the site has no
  // `site_url`: show the address the visitor read it at.
  document.querySelectorAll("a.policy-permalink").forEach(function (link) {
    var shown = address(link.getAttribute("href") || "");
    if (shown && !/^[a-z][a-z0-9+.-]*:/i.test(link.textContent.trim())) link.textContent = shown;
  });

  // A table wider than the screen scrolls inside its own box (Material's): a box that
  // scrolls is reachable by keyboard, so that it can be scrolled without a mouse.
  function scrollBoxes() {
    document.querySelectorAll(".md-typeset__scrollwrap").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        if (!box.hasAttribute("tabindex")) box.setAttribute("tabindex", "0");
      } else if (box.getAttribute("tabindex") === "0") {
        box.removeAttribute("tabindex");
      }
    });
  }
  // Material wraps the tables once the document is loaded.
  if (document.readyState === "complete") scrollBoxes();
  else window.addEventListener("load", scrollBoxes);
  window.addEventListener("resize", scrollBoxes);

  // A redline page (/<doc>/changes/<old>-to-<new>/). A link to a change (the list of
  // changed sections, the table of contents, "Previous change" / "Next change") brings
  // the keyboard's focus to the change's heading, so that Tab goes on from there and a
  // screen reader reads it; a link or an address to a section inside a folded run of
  // unchanged sections opens the fold first (Material opens it too, once the address has
  // changed; and opens every fold for printing).
  function redlinePage() {
    if (!document.querySelector(".policy-redline")) return;
    function byHash(hash) {
      var id = "";
      try { id = decodeURIComponent((hash || "").slice(1)); } catch (e) { return null; }
      return id ? document.getElementById(id) : null;
    }
    function reveal(element) {
      for (var node = element; node; node = node.parentElement) {
        if (node.tagName === "DETAILS" && !node.open) node.open = true;
      }
    }
    function headingOf(element) {
      // The table of contents' entry of a change is a hidden heading just before the
      // change's block (redline.css): the change's own heading is in that block.
      if (element.classList.contains("redline-toc")) {
        var block = element.nextElementSibling;
        return block ? block.querySelector(".redline-heading[id]") : null;
      }
      if (!element.closest(".policy-redline")) return null;
      if (/^H[1-6]$/.test(element.tagName)) return element;
      if (element.tagName === "DETAILS") return element.querySelector("summary");
      return null;
    }
    function arrive(element) {
      var heading = headingOf(element);
      if (!heading) return;
      if (heading.tagName !== "SUMMARY" && !heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: true });
    }
    document.addEventListener("click", function (event) {
      if (event.defaultPrevented || event.button !== 0) return;
      if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      var link = event.target.closest ? event.target.closest('a[href^="#"]') : null;
      var element = link && byHash(link.hash);
      if (!element) return;
      reveal(element); // before the browser scrolls to it
      window.setTimeout(function () { arrive(element); }, 0);
    });
    // An address with a section's anchor (a link from elsewhere, the back button).
    function fromAddress() {
      var element = byHash(location.hash);
      if (!element || !element.closest(".policy-redline")) return;
      var hidden = !element.getClientRects().length;
      reveal(element);
      if (hidden) element.scrollIntoView();
    }
    window.addEventListener("hashchange", fromAddress);
    fromAddress();
  }
  redlinePage();

  // The homepage pop-up.
  var dialog = document.getElementById("policy-dialog");
  if (!dialog || typeof dialog.showModal !== "function") return;
  var keys = keysOf(dialog);
  if (!keys.some(function (key) { return !stored(SEEN, key); })) return;
  var opener = document.activeElement;
  dialog.addEventListener("close", function () {
    if (opener && typeof opener.focus === "function") opener.focus();
  });
  dialog.showModal();
  remember(SEEN, keys);
  var first = dialog.querySelector("[autofocus]") || dialog.querySelector("button, a[href]");
  if (first && document.activeElement !== first) first.focus();
})();
