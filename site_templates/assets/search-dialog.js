/* Zensical's search dialog, mended (Zensical sites only).
 *
 * Zensical 0.1 draws its search dialog in an open shadow root, where the site's
 * stylesheets do not reach. This script:
 * - gives that root the site's stylesheet for it (search-dialog.css, next to this file:
 *   each result's path and highlighted words at a contrast of 4.5:1 or more);
 * - names each result by what it shows: Zensical names it by its title alone
 *   (aria-labelledby) and describes it by its path, while the reader sees the title, the
 *   path and the words found.
 */
(() => {
  "use strict";
  const script = document.currentScript;
  if (!script) return;
  const sheet = new URL("search-dialog.css", script.src).href;

  const mendOptions = (root) => {
    for (const option of root.querySelectorAll("a[role=option]")) {
      option.removeAttribute("aria-labelledby");
      option.removeAttribute("aria-describedby");
    }
  };

  const mend = (host) => {
    const root = host instanceof HTMLElement ? host.shadowRoot : null;
    if (!root || root.querySelector("link[data-policy-search]")) return;
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = sheet;
    link.dataset.policySearch = "";
    root.append(link);
    mendOptions(root);
    new MutationObserver(() => mendOptions(root)).observe(root, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ["aria-labelledby", "aria-describedby"],
    });
  };

  const start = () => {
    for (const child of document.body.children) mend(child);
    new MutationObserver((records) => {
      for (const record of records) record.addedNodes.forEach(mend);
    }).observe(document.body, { childList: true });
  };

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start, { once: true });
})();
