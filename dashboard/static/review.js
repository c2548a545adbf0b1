// Review pages: the report's print button (a script file, not an inline handler, so a
// strict Content-Security-Policy can forbid inline scripts).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const button = document.getElementById("print-report");
  if (button) {
    button.addEventListener("click", () => window.print());
  }
});
