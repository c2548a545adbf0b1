// Settings page: after "show a correct hold", poll the settings API until the captured
// personal target arrives, then reload so the page shows it. Without this script the page
// still works: reloading by hand shows the target.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const section = document.getElementById("target");
  if (!section || !section.dataset.capturing) {
    return;
  }
  const before = section.dataset.target;
  const api = section.dataset.api;
  const deadline = Date.now() + (parseFloat(section.dataset.capturing) + 10) * 1000;
  const done = () => {
    const url = new URL(window.location.href);
    url.searchParams.delete("capturing");
    window.location.replace(url.toString());
  };
  const poll = async () => {
    try {
      const response = await fetch(api, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const body = await response.json();
        if (JSON.stringify(body.settings.personal_target) !== before) {
          done();
          return;
        }
      }
    } catch (err) {
      // The stream page shows connection problems; here we simply try again.
    }
    if (Date.now() < deadline) {
      window.setTimeout(poll, 1000);
    } else {
      done();
    }
  };
  window.setTimeout(poll, 1000);
});
