// The current-runner picker in the top bar. The page works without this script (the
// form posts and the server refuses a switch during a set); the script only keeps the
// picker true to the device when another tablet switched runner or started a set: it
// asks /api/status whenever the page comes back into view or the picker is touched.
"use strict";

(function () {
  const form = document.querySelector("form.runner-picker");
  if (!form) {
    return;
  }
  const select = form.querySelector("select");
  const button = form.querySelector("button");
  const api = form.dataset.status;
  let asking = false;

  const show = (status, shownBefore) => {
    const id = status.runner ? String(status.runner.id) : "";
    if (id && !select.querySelector(`option[value="${CSS.escape(id)}"]`)) {
      // A runner added on another tablet: the list needs the server, reload it.
      window.location.reload();
      return;
    }
    if (select.value === shownBefore) {
      // Only when the user has not picked someone while the answer was on its way.
      select.value = id;
    }
    const locked = Boolean(status.set && status.set.running);
    select.disabled = locked;
    button.disabled = locked;
    if (locked) {
      select.title = form.dataset.lockedText || "";
    } else {
      select.removeAttribute("title");
    }
    form.dataset.synced = String(Date.now());
  };

  const refresh = async () => {
    if (asking) {
      return;
    }
    asking = true;
    const shownBefore = select.value;
    try {
      const response = await fetch(api, { headers: { Accept: "application/json" } });
      if (response.ok) {
        show(await response.json(), shownBefore);
      }
    } catch (err) {
      // Offline for a moment: the picker keeps what it showed; the form still works.
    } finally {
      asking = false;
    }
  };

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") {
      refresh();
    }
  });
  window.addEventListener("focus", refresh);
  select.addEventListener("pointerdown", refresh);
  select.addEventListener("focus", refresh);
})();
