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
})();
