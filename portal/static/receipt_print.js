// The receipt page: a "print" button (the page's print stylesheet lays it out on A4). Without script
// the button stays hidden and the browser's own print command does the same.
(function () {
  "use strict";
  var button = document.getElementById("print-receipt");
  if (!button) { return; }
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
})();
