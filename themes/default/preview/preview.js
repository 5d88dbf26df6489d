// Loaded only by `digest serve`, before livereload.js; never part of a built site.
(function () {
  "use strict";
  var script = document.currentScript;
  var generation = script ? script.getAttribute("data-generation") : null;

  // livereload.js adds every window.LiveReloadPlugin* it finds, and on each (re)connection sends
  // what analyze() returns to the server, which reloads this page at once if a newer build exists:
  // a reload sent while the page was loading or reconnecting is never lost that way.
  function DigestPreview() {}
  DigestPreview.identifier = "digest-preview";
  DigestPreview.version = "1";
  DigestPreview.prototype.analyze = function () {
    return { generation: generation };
  };
  window.LiveReloadPluginDigestPreview = DigestPreview;

  // A dismissed panel stays hidden across reloads until the list it showed changes.
  var KEY = "digest-preview-dismissed";
  var dismissed = null;
  try {
    dismissed = window.sessionStorage.getItem(KEY);
  } catch (error) { /* storage disabled: the panel simply comes back on reload */ }
  if (dismissed && window.CSS && CSS.escape) {
    var style = document.createElement("style");
    style.textContent = '#digest-preview-panel[data-key="' + CSS.escape(dismissed) + '"] { display: none; }';
    document.head.appendChild(style);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var panel = document.getElementById("digest-preview-panel");
    if (!panel) return;
    if (panel.getAttribute("data-key") === dismissed) panel.hidden = true;
    var button = panel.querySelector("[data-dismiss]");
    if (!button) return;
    button.addEventListener("click", function () {
      panel.hidden = true;
      try {
        window.sessionStorage.setItem(KEY, panel.getAttribute("data-key"));
      } catch (error) { /* hidden for this page only */ }
    });
  });
})();
