/* Material for MkDocs' inline script of partials/javascripts/base.html (9.x), as a file of
   its own so that the site runs under a Content-Security-Policy without 'unsafe-inline'
   (docs/site.md, "Content-Security-Policy"). The scope comes from the script tag's
   data-md-scope attribute. Kept identical to Material's otherwise: a test
   (tests/test_site_safety.py) compares them. */
__md_scope=new URL(document.currentScript.getAttribute("data-md-scope"),location),__md_hash=e=>[...e].reduce(((e,_)=>(e<<5)-e+_.charCodeAt(0)),0),__md_get=(e,_=localStorage,t=__md_scope)=>JSON.parse(_.getItem(t.pathname+"."+e)),__md_set=(e,_,t=localStorage,a=__md_scope)=>{try{t.setItem(a.pathname+"."+e,JSON.stringify(_))}catch(e){}}
