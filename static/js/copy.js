/* "Copy" buttons: <button class="copy-button" data-copy-target="ID" hidden> copies the text of #ID.
   The button stays hidden without JavaScript; the status element (aria-live) says what happened. */
(function () {
  "use strict";
  function copy(button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    var status = document.getElementById(button.getAttribute("data-copy-status"));
    if (!target) { return; }
    var text = target.textContent.trim();
    var done = function (message) { if (status) { status.textContent = message; } };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { done("Citation copied."); },
        function () { done("Could not copy; select the citation and copy it."); }
      );
    } else {
      var range = document.createRange();
      range.selectNodeContents(target);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      done("Citation selected; press Ctrl+C (or Cmd+C) to copy.");
    }
  }
  document.querySelectorAll(".copy-button[data-copy-target]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { copy(button); });
  });
})();
