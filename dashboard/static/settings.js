// Settings and calibration pages. Both helpers only add comfort: every page works without
// this script (no inline scripts, so a strict Content-Security-Policy fits).
"use strict";

// After "show a correct hold": poll the settings API until the captured personal target
// arrives, then reload so the page shows it (reloading by hand does the same).
function waitForTarget(section) {
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
      // A dropped request is tried again below; the live page reports connection loss.
    }
    if (Date.now() < deadline) {
      window.setTimeout(poll, 1000);
    } else {
      done();
    }
  };
  window.setTimeout(poll, 1000);
}

// Calibration wizard: show the current divider voltage of each point twice a second, so
// the user can wait until a weight is still before capturing the reading.
function showLiveReading(line) {
  const sensors = JSON.parse(line.dataset.sensors); // [[name, label], ...] in sensor order
  const poll = async () => {
    try {
      const response = await fetch(line.dataset.api, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const reading = (await response.json()).reading;
        if (reading) {
          const parts = sensors.map(
            ([name, label]) => `${label}: ${reading.volts[name].toFixed(3)} V`
          );
          line.textContent = `${line.dataset.label} ${parts.join(" · ")}`;
          line.hidden = false;
        }
      }
    } catch (err) {
      // Keep the last reading shown; the next poll tries again.
    }
    window.setTimeout(poll, 500);
  };
  poll();
}

document.addEventListener("DOMContentLoaded", () => {
  const section = document.getElementById("target");
  if (section && section.dataset.capturing) {
    waitForTarget(section);
  }
  const line = document.getElementById("live-reading");
  if (line) {
    showLiveReading(line);
  }
});
