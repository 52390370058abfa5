/* Material for MkDocs' inline script of partials/javascripts/outdated.html (9.x), as a file of
   its own so that the site runs under a Content-Security-Policy without 'unsafe-inline'
   (docs/site.md, "Content-Security-Policy"). The base URL comes from the script tag's
   data-md-base attribute. Kept identical to Material's otherwise: a test
   (tests/test_site_safety.py) compares them. */
var el=document.querySelector("[data-md-component=outdated]"),base=new URL(document.currentScript.getAttribute("data-md-base")),outdated=__md_get("__outdated",sessionStorage,base);!0===outdated&&el&&(el.hidden=!1)
