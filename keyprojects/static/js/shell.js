// The page shell: the menu that folds away on a phone, and the paper copy's header.
// Loaded in <head>, so the menu is folded before the page is first drawn: no flash of an open menu. Without
// this script the menu simply stays open (the stylesheet folds it only under html.js).
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function setOpen(button, open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }

  // A table wider than a phone scrolls inside its box; keyboard users must be able to reach it to scroll it
  // (WCAG 2.1.1): such a box takes the focus, named by the table's caption or the heading above it.
  function focusableScrollers(root) {
    var boxes = root.querySelectorAll ? root.querySelectorAll(".table-wrap, main table") : [];
    Array.prototype.forEach.call(boxes, function (box) {
      if (box.scrollWidth <= box.clientWidth || box.hasAttribute("tabindex")) return;
      box.setAttribute("tabindex", "0");
      if (!box.hasAttribute("role")) box.setAttribute("role", "region");
      if (!box.hasAttribute("aria-label") && !box.hasAttribute("aria-labelledby")) {
        var caption = box.querySelector("caption");
        var section = box.closest("section");
        var heading = section && section.querySelector("h1, h2, h3");
        var name = (caption || heading || {}).textContent;
        if (name) box.setAttribute("aria-label", name.trim());
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector(".menu-toggle");
    if (button) {
      button.addEventListener("click", function () {
        setOpen(button, button.getAttribute("aria-expanded") !== "true");
      });
      // Escape folds the open menu and gives the focus back to its button (WAI-ARIA disclosure pattern).
      document.addEventListener("keydown", function (event) {
        if (event.key !== "Escape" || button.getAttribute("aria-expanded") !== "true") return;
        var menu = document.getElementById(button.getAttribute("aria-controls"));
        if (menu && menu.contains(document.activeElement)) button.focus();
        setOpen(button, false);
      });
    }
    focusableScrollers(document);
    // Logging out of this phone: the site app's kept pages (they show the enterprise's projects) go with the
    // session; a daily report still waiting to be sent stays in IndexedDB and goes after the next log-in.
    var logout = document.querySelector("form.logout");
    if (logout && window.caches) {
      logout.addEventListener("submit", function () {
        caches.keys().then(function (keys) {
          keys.forEach(function (key) { if (key.indexOf("keyprojects-site-") === 0) caches.delete(key); });
        });
      });
    }
    document.body.addEventListener("htmx:afterSwap", function (event) { focusableScrollers(event.target); });
    var title = document.querySelector("[data-print-title]");
    if (title && document.title) title.textContent = document.title;
  });

  // On paper nothing can be unfolded: print the folded sections (<details>) open, then fold them back.
  // Charts are drawn for the screen's width: redraw them for the paper's (A4 less its margins), then back.
  var PAPER_WIDTH = 680;
  var opened = [];
  function charts() {
    if (!window.echarts) return [];
    return Array.prototype.map.call(document.querySelectorAll(".chart"), function (el) {
      return window.echarts.getInstanceByDom(el);
    }).filter(Boolean);
  }
  window.addEventListener("beforeprint", function () {
    opened = Array.prototype.filter.call(document.querySelectorAll("details:not([open])"), function (d) {
      d.open = true;
      return true;
    });
    charts().forEach(function (chart) {
      if (chart.getWidth() > PAPER_WIDTH) chart.resize({ width: PAPER_WIDTH });
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
    charts().forEach(function (chart) { chart.resize(); });
  });
})();
