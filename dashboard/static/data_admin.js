// "Your data" page: send a chosen backup file to /data/restore as the request body.
// The body is the file itself (not a multipart form) so that the server can stream it to
// disk under its own size limit; the CSRF token goes in the header like every script's.
"use strict";

function setupRestore(form) {
  const input = form.querySelector("input[type=file]");
  const button = form.querySelector("button[type=submit]");
  const status = form.querySelector("[role=status]");
  const token = document.querySelector('meta[name="csrf-token"]').content;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = input.files[0];
    if (!file) {
      status.textContent = form.dataset.none;
      status.className = "error";
      return;
    }
    button.disabled = true;
    status.className = "";
    status.textContent = form.dataset.busy;
    try {
      const response = await fetch(form.dataset.action, {
        method: "POST",
        headers: {
          "Content-Type": form.dataset.type,
          "X-CSRF-Token": token,
          Accept: "application/json",
        },
        body: file,
      });
      const body = await response.json();
      if (response.ok) {
        window.location.assign(form.dataset.done);
        return;
      }
      status.textContent = body.message || String(response.status);
      status.className = "error";
    } catch (err) {
      status.textContent = String(err);
      status.className = "error";
    }
    button.disabled = false;
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("restore-form");
  if (form) {
    setupRestore(form);
  }
});
