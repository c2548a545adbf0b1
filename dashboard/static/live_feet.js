// Live page with two insoles: both feet side by side, each with its points, state, hold bar
// and count, and the load split between the feet. live.js owns the stream and the controls
// and hands every two-foot frame here (window.insoleFeet.frame); see docs/ARCHITECTURE.md
// for the event's shape.
(function () {
  "use strict";

  var root = document.getElementById("live");
  if (!root || !document.getElementById("feet")) { return; }
  var config = JSON.parse(root.dataset.config);
  var texts = JSON.parse(root.dataset.texts);
  var SENSORS = config.sensors;
  var SIDES = ["left", "right"];
  root.classList.add("two-feet");

  function $(id) { return document.getElementById(id); }
  function tr(key, values) {
    var text = texts[key] || key;
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return values && values[name] !== undefined ? String(values[name]) : whole;
    });
  }
  function setText(el, value) { if (el.textContent !== value) { el.textContent = value; } }
  function pct(share) { return Math.round(100 * share); }

  // The state word and colour of one foot, from its frame's cue (same words as one foot).
  var STATES = [
    [function (f) { return f.cue_key === "set_done"; }, "state-done", "live.state.done"],
    [function (f) { return f.balanced; }, "state-ok", "live.state.balanced"],
    [function (f) { return f.cue_key === "rest"; }, "state-unloaded", "live.state.rest"],
    [function (f) { return !f.shares || f.cue_key === "load_foot"; }, "state-unloaded", "live.state.unloaded"],
    [function () { return true; }, "state-off", "live.state.off"]
  ];

  function renderFoot(side, f) {
    var state = $(side + "-state");
    if (!f) {
      state.className = "state state-off";
      setText($(side + "-state-word"), tr("live.feet.no_reading"));
      setText($(side + "-cue"), "");
      SENSORS.forEach(function (name) { $(side + "-pt-" + name).setAttribute("class", "point"); });
      return;
    }
    var match = STATES.filter(function (s) { return s[0](f); })[0];
    state.className = "state " + match[1];
    state.dataset.cueKey = f.cue_key || "";
    setText($(side + "-state-word"), tr(match[2]));
    setText($(side + "-cue"), f.cue_key ? tr("cue." + f.cue_key) : (f.cue || ""));
    SENSORS.forEach(function (name) {
      var share = f.shares ? Math.min(1, Math.max(0, Number(f.shares[name]) || 0)) : null;
      var point = $(side + "-pt-" + name);
      var cls = share === null ? "" : (share < config.min_share || f.off_point === name ? "bad" : "ok");
      point.setAttribute("class", "point " + cls);
      point.setAttribute("r", share === null ? "5" : (5 + 22 * Math.sqrt(share)).toFixed(1));
    });
    var hold = f.hold || null;
    var fill = $(side + "-hold-fill");
    if (hold && hold.target_s) {
      var elapsed = hold.state === "idle" ? 0 : hold.elapsed_s || 0;
      fill.style.width = Math.min(100, 100 * elapsed / hold.target_s).toFixed(1) + "%";
      fill.parentNode.parentNode.classList.toggle("hold-holding", hold.state === "holding");
    } else {
      fill.style.width = "0%";
    }
    var set = f.set || {};
    var started = set.running || (set.attempted || 0) > 0;
    setText($(side + "-counter"), started
      ? tr("live.feet.counter", { correct: set.correct || 0, attempted: set.attempted || 0 })
      : tr("live.reps.idle"));
  }

  function renderSplit(sym) {
    var now = sym && typeof sym.left_share_now === "number" ? sym.left_share_now : null;
    $("split-fill").style.width = (now === null ? 50 : 100 * now).toFixed(1) + "%";
    $("split-bar").setAttribute("aria-valuenow", now === null ? "50" : String(pct(now)));
    setText($("split-left"), now === null ? "–" : pct(now) + " %");
    setText($("split-right"), now === null ? "–" : pct(1 - now) + " %");
    var mean = sym && typeof sym.left_load_share === "number" ? sym.left_load_share : null;
    setText($("split-set"), mean === null ? "" : tr("live.feet.set_split", {
      left: pct(mean),
      asym: (sym.load_asymmetry_pct > 0 ? "+" : "") + sym.load_asymmetry_pct.toFixed(1)
    }));
  }

  var latest = null;
  var pending = false;
  var renderSet = null;
  function draw() {
    pending = false;
    var data = latest;
    SIDES.forEach(function (side) { renderFoot(side, data.feet[side]); });
    renderSplit(data.symmetry);
    if (renderSet) {
      // The set controls show the pair: counts of both feet together.
      var sets = SIDES.map(function (side) { return (data.feet[side] || {}).set || {}; });
      renderSet({
        running: sets.some(function (s) { return s.running; }),
        correct: (sets[0].correct || 0) + (sets[1].correct || 0),
        attempted: (sets[0].attempted || 0) + (sets[1].attempted || 0),
        rep_target: 2 * (sets[0].rep_target || sets[1].rep_target || config.rep_target)
      });
    }
  }

  window.insoleFeet = {
    frame: function (data, setRenderer) {
      latest = data;
      renderSet = setRenderer || null;
      if (!pending) { pending = true; window.requestAnimationFrame(draw); }
    }
  };
})();
