/* Compare page: each "pick a set" text field becomes a search-as-you-type combobox (the WAI-ARIA 1.2 combobox
   pattern with a listbox popup and aria-activedescendant). Without JavaScript the field stays a plain search
   field: submitting it finds the matching sets on the server.

   Markup (templates/public/compare.html): [data-set-picker][data-suggest-url] holding the text input, an empty
   ul[role=listbox], a [data-picker-status] live region and input[type=hidden][data-picker-slug] (the set picked).
   Keys: Down/Up move through the suggestions (Down opens them), Enter picks, Escape closes (a second Escape clears),
   Home/End stay in the text. Suggestions come from GET data-suggest-url?q=... ({results: [{slug, title, area}]}). */
(function () {
  "use strict";

  var DELAY_MS = 150;

  function picker(root, index) {
    var input = root.querySelector("input[type=text]");
    var listbox = root.querySelector("[role=listbox]");
    var status = root.querySelector("[data-picker-status]");
    var url = root.getAttribute("data-suggest-url");
    if (!input || !listbox || !url) { return; }
    var slug = root.querySelector("[data-picker-slug]");
    if (!slug) {
      // The server offered radio buttons (no JavaScript flow); the combobox replaces them.
      var candidates = root.querySelector(".picker-candidates");
      var side = input.name.replace(/_q$/, "");
      if (candidates) { candidates.remove(); }
      slug = document.createElement("input");
      slug.type = "hidden";
      slug.name = side;
      slug.setAttribute("data-picker-slug", "");
      root.appendChild(slug);
    }

    var options = [];
    var active = -1;
    var timer = null;
    var request = 0;

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listbox.id);

    function optionId(i) { return listbox.id + "-option-" + i; }

    function close() {
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function open() {
      if (!options.length) { return; }
      listbox.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function highlight(i) {
      var items = listbox.querySelectorAll("[role=option]");
      items.forEach(function (item, n) { item.setAttribute("aria-selected", n === i ? "true" : "false"); });
      active = i;
      if (i >= 0 && items[i]) {
        input.setAttribute("aria-activedescendant", items[i].id);
        items[i].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(i) {
      var chosen = options[i];
      if (!chosen) { return; }
      input.value = chosen.title;
      slug.value = chosen.slug;
      close();
      status.textContent = chosen.title + " picked.";
    }

    function render(results) {
      options = results;
      listbox.textContent = "";
      results.forEach(function (result, i) {
        var item = document.createElement("li");
        item.id = optionId(i);
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.className = "combobox-option";
        item.textContent = result.title;
        var area = document.createElement("span");
        area.className = "combobox-area";
        area.textContent = " · " + result.area;
        item.appendChild(area);
        // mousedown, not click: the input keeps the focus.
        item.addEventListener("mousedown", function (event) { event.preventDefault(); choose(i); });
        listbox.appendChild(item);
      });
      if (results.length) {
        open();
        status.textContent = results.length + (results.length === 1 ? " set suggested." : " sets suggested.") +
          " Use the down arrow to choose.";
      } else {
        close();
        status.textContent = input.value.trim() ? "No set matches." : "";
      }
      active = -1;
    }

    function suggest() {
      var text = input.value;
      var mine = ++request;
      if (!text.trim()) { render([]); return; }
      fetch(url + "?q=" + encodeURIComponent(text), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (body) { if (mine === request) { render(body.results || []); } })
        .catch(function () { if (mine === request) { render([]); } });
    }

    input.addEventListener("input", function () {
      slug.value = "";  // the text changed: nothing is picked until a suggestion is
      clearTimeout(timer);
      timer = setTimeout(suggest, DELAY_MS);
    });

    input.addEventListener("keydown", function (event) {
      var expanded = !listbox.hidden;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!expanded) { open(); if (!options.length) { suggest(); } return; }
        highlight(active + 1 < options.length ? active + 1 : 0);
      } else if (event.key === "ArrowUp") {
        if (!expanded) { return; }
        event.preventDefault();
        highlight(active > 0 ? active - 1 : options.length - 1);
      } else if (event.key === "Enter") {
        if (expanded && active >= 0) { event.preventDefault(); choose(active); }
      } else if (event.key === "Escape") {
        if (expanded) { event.preventDefault(); close(); } else if (input.value) { input.value = ""; slug.value = ""; }
      } else if (event.key === "Tab") {
        close();
      }
    });

    input.addEventListener("blur", function () { close(); });
  }

  document.querySelectorAll("[data-set-picker]").forEach(picker);
})();
