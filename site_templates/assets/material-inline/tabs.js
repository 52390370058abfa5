/* Material for MkDocs' inline script of partials/javascripts/content.html (9.x), as a file of
   its own so that the site runs under a Content-Security-Policy without 'unsafe-inline'
   (docs/site.md, "Content-Security-Policy").
   (The first script of content.html.) Kept identical to Material's: a test
   (tests/test_site_safety.py) compares them. */
var tabs=__md_get("__tabs");if(Array.isArray(tabs))e:for(var set of document.querySelectorAll(".tabbed-set")){var labels=set.querySelector(".tabbed-labels");for(var tab of tabs)for(var label of labels.getElementsByTagName("label"))if(label.innerText.trim()===tab){var input=document.getElementById(label.htmlFor);input.checked=!0;continue e}}
