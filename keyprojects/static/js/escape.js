// The one escape for text from data that a script puts into HTML (chart tooltips): names of projects,
// milestones, regions and people are typed by users, and must show as text, never run as markup.
(function () {
  "use strict";
  var entities = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  window.escapeHtml = function (text) {
    return String(text === null || text === undefined ? "" : text).replace(/[&<>"']/g, function (c) {
      return entities[c];
    });
  };
})();
