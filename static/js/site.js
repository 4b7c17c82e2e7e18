// Every page: small enhancements of pages that work without it (progressive enhancement).
// - the main menu folds behind a "Menu" button on phones;
// - the filters fold behind "Filters (n active)" on narrow screens, so the results come first;
// - a form sends only the fields that hold something (the server redirects the rest away too);
// - after Apply or a sort (an address ending #results), focus moves to the results heading and
//   the live region says what is shown;
// - a table wider than its box says it scrolls sideways.
(function () {
  "use strict";

  var menu = document.querySelector(".menu-toggle");
  var nav = document.getElementById("site-nav");
  if (menu && nav) {
    document.documentElement.classList.add("js-menu");
    menu.hidden = false;
    menu.setAttribute("aria-expanded", "false");
    menu.addEventListener("click", function () {
      var open = menu.getAttribute("aria-expanded") !== "true";
      menu.setAttribute("aria-expanded", String(open));
      nav.classList.toggle("open", open);
    });
  }

  // Folded only where the button shows (narrow screens); on wide ones the CSS keeps them open.
  document.querySelectorAll("[data-filters-toggle]").forEach(function (button) {
    var host = button.parentElement;
    function set(open) {
      button.setAttribute("aria-expanded", String(open));
      host.classList.toggle("filters-folded", !open);
    }
    button.hidden = false;
    set(false);
    button.addEventListener("click", function () {
      set(button.getAttribute("aria-expanded") !== "true");
    });
  });

  // Empty fields are left out of the address: ?q=&year_from= says nothing.
  document.querySelectorAll("form[method=get]").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("input, select").forEach(function (field) {
        var empty = field.tagName === "SELECT"
          ? Array.prototype.every.call(field.selectedOptions, function (o) { return !o.value; })
          : (field.type !== "checkbox" && field.type !== "radio" && !field.value.trim());
        if (empty && field.name) field.disabled = true;
      });
      // Re-enabled after the page is left, so going back shows the form as it was.
      window.setTimeout(function () {
        form.querySelectorAll(":disabled").forEach(function (field) { field.disabled = false; });
      }, 0);
    });
  });

  var heading = document.getElementById("results");
  var status = document.getElementById("results-status");
  if (heading && window.location.hash === "#results") {
    heading.focus();
    if (status) {
      // Set after load so screen readers announce the change of a live region.
      window.setTimeout(function () { status.textContent = status.dataset.announce; }, 150);
    }
  }

  function markScrollable() {
    document.querySelectorAll(".table-scroll").forEach(function (box) {
      var hint = box.previousElementSibling;
      if (!hint || !hint.classList.contains("scroll-hint")) {
        hint = document.createElement("p");
        hint.className = "scroll-hint";
        hint.setAttribute("aria-hidden", "true");
        hint.textContent = "Scroll sideways for more columns →";
        box.parentNode.insertBefore(hint, box);
      }
      var scrollable = box.scrollWidth > box.clientWidth + 1;
      hint.hidden = !scrollable;
      box.toggleAttribute("data-scrollable", scrollable);
      // A box that scrolls is a Tab stop, so the keyboard can scroll it; one that does not is not.
      if (scrollable) box.setAttribute("tabindex", "0");
      else box.removeAttribute("tabindex");
    });
  }
  markScrollable();
  var resizing;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizing);
    resizing = window.setTimeout(markScrollable, 150);
  });
})();

// "Copy the code" under a chart's embed code: shown only where script runs; the code can be
// selected by hand in its read-only box anyway.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var box = document.getElementById(button.dataset.copy);
    var said = document.querySelector('[data-copied="' + button.dataset.copy + '"]');
    if (!box) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      function done(ok) {
        if (said) said.textContent = ok ? "Copied." : "Select the code and copy it.";
      }
      box.focus();
      box.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(box.value).then(function () { done(true); }, function () { done(false); });
      } else {
        var copied = false;
        try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
        done(copied);
      }
    });
  });
})();
