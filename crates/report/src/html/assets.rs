//! The page's only style sheet and script, inlined so the file works offline and from an
//! e-mail attachment. The script only filters and opens sections: without it every section is
//! shown and readable.

pub const CSS: &str = r#"
:root{--fail:#b3261e;--excepted:#7b3fa0;--na:#a35d00;--partial:#00677f;--pass:#1e7a34;--manual:#5f6368;--line:#d0d4da;--soft:#f4f6f8;--ink:#1b1f24}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);margin:0 auto;max-width:1200px;padding:0 24px 48px}
h1{font-size:24px;margin:24px 0 4px}h2{font-size:19px;margin:32px 0 8px;padding-top:8px;border-top:2px solid var(--ink)}h3{font-size:15px;margin:18px 0 6px}
code,.mono{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;font-size:12.5px}
.muted{color:#5f6368}.small{font-size:12.5px}
nav.toc{margin:8px 0 0;font-size:13px}nav.toc a{margin-right:12px}
table{border-collapse:collapse;width:100%;margin:6px 0 12px}th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600}td,li,summary{overflow-wrap:break-word}dd{overflow-wrap:anywhere}thead{display:table-header-group}
.badge{display:inline-block;min-width:70px;padding:1px 7px;border-radius:10px;font-size:12px;font-weight:600;color:#fff;text-align:center;white-space:nowrap}
.s-fail{background:var(--fail)}.s-excepted{background:var(--excepted)}.s-not-assessed{background:var(--na)}.s-partial{background:var(--partial)}.s-pass{background:var(--pass)}.s-manual{background:var(--manual)}
.sev{font-weight:600;text-transform:uppercase;font-size:11.5px}.sev-critical{color:#8e0b5a}.sev-high{color:var(--fail)}.sev-medium{color:var(--na)}.sev-low{color:var(--partial)}.sev-info{color:var(--manual)}
.tiles{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0}.tile{border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:120px}.tile b{display:block;font-size:22px}
.scope-line{font-size:15px;background:var(--soft);border-left:4px solid var(--ink);padding:8px 12px}
details{margin:2px 0}summary{cursor:pointer}
tr.drill td{background:#fbfbfc;border-bottom:1px solid var(--line);padding-top:0}
.finding{border:1px solid var(--line);border-radius:6px;padding:4px 10px;margin:6px 0}
.finding.st-fail{border-left:4px solid var(--fail)}.finding.st-excepted{border-left:4px solid var(--excepted)}.finding.st-not-assessed{border-left:4px solid var(--na)}.finding.st-pass{border-left:4px solid var(--pass)}
.finding dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:6px 0}.finding dt{font-weight:600}.finding dd{margin:0;overflow-wrap:anywhere}
.fix{background:#eef7ee;border-radius:4px;padding:4px 8px}
.cov{white-space:nowrap}.bar{display:inline-block;width:70px;height:8px;background:var(--line);border-radius:4px;vertical-align:middle;margin-right:6px;overflow:hidden}.bar i{display:block;height:100%;background:var(--pass)}
figure{margin:8px 0}figure svg{max-width:100%;height:auto;border:1px solid var(--line);border-radius:6px;background:#fff}
figcaption{font-size:12.5px;color:#5f6368}
.flow-unapproved{color:var(--fail);font-weight:600}.flow-approved{color:var(--pass)}
#controls{position:sticky;top:0;background:#fff;border-bottom:1px solid var(--line);padding:8px 0;z-index:2;display:flex;gap:10px;flex-wrap:wrap;align-items:center}
#controls input{flex:1;min-width:220px;padding:5px 8px;font:inherit}#controls select,#controls button{padding:5px 8px;font:inherit}
[hidden]{display:none!important}
@media print{
 body{max-width:none;padding:0;font-size:11px}#controls,nav.toc{display:none}
 h2{break-before:page;border-top:none}section#summary h2{break-before:auto}h2,h3{break-after:avoid}
 tr,.finding,figure,.tile{break-inside:avoid}a{color:inherit;text-decoration:none}
 .badge{color:#000;border:1px solid #000;background:none!important}
}
"#;

/// Shows the search box, filters requirements and findings by text and status, opens every
/// drill-down for printing, and marks the page (`data-script="ok"`) once it ran without error.
pub const JS: &str = r#"
(function(){
  var controls=document.getElementById('controls'),q=document.getElementById('q'),st=document.getElementById('status'),n=document.getElementById('shown');
  var items=document.querySelectorAll('[data-filter]');
  function apply(){
    var text=q.value.trim().toLowerCase(),status=st.value,shown=0;
    for(var i=0;i<items.length;i++){
      var el=items[i],ok=(!status||el.getAttribute('data-status')===status)&&(!text||el.textContent.toLowerCase().indexOf(text)>=0);
      el.hidden=!ok;if(ok){shown++;}
    }
    n.textContent=(text||status)?shown+' of '+items.length+' requirements and findings shown':'';
  }
  function openAll(open){var d=document.querySelectorAll('details');for(var i=0;i<d.length;i++){d[i].open=open;}}
  var timer;
  // Typing filters once it pauses: a large report has tens of thousands of findings.
  q.addEventListener('input',function(){clearTimeout(timer);timer=setTimeout(apply,200);});st.addEventListener('change',apply);
  document.getElementById('expand').addEventListener('click',function(){openAll(true);});
  document.getElementById('collapse').addEventListener('click',function(){openAll(false);});
  window.addEventListener('beforeprint',function(){openAll(true);});
  controls.hidden=false;
  document.documentElement.setAttribute('data-script','ok');
})();
"#;
