/* Material for MkDocs' inline script of partials/javascripts/consent.html (9.x), as a file of
   its own so that the site runs under a Content-Security-Policy without 'unsafe-inline'
   (docs/site.md, "Content-Security-Policy"). Kept identical to Material's: a test
   (tests/test_site_safety.py) compares them. */
var consent=__md_get("__consent");if(consent)for(var input of document.forms.consent.elements)input.name&&(input.checked=consent[input.name]||!1);else"file:"!==location.protocol&&setTimeout((function(){document.querySelector("[data-md-component=consent]").hidden=!1}),250);var form=document.forms.consent;for(var action of["submit","reset"])form.addEventListener(action,(function(e){if(e.preventDefault(),"reset"===e.type)for(var n of document.forms.consent.elements)n.name&&(n.checked=!1);__md_set("__consent",Object.fromEntries(Array.from(new FormData(form).keys()).map((function(e){return[e,!0]})))),location.hash="",location.reload()}))
