/* Material for MkDocs' inline script of partials/javascripts/content.html (9.x), as a file of
   its own so that the site runs under a Content-Security-Policy without 'unsafe-inline'
   (docs/site.md, "Content-Security-Policy").
   (The second script of content.html.) Kept identical to Material's: a test
   (tests/test_site_safety.py) compares them. */
var target=document.getElementById(location.hash.slice(1));target&&target.name&&(target.checked=target.name.startsWith("__tabbed_"))
