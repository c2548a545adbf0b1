// Live page: draws the newest frame from the event stream, plays cues, drives the controls.
// Plain script, no build step and no outside assets; data comes from data- attributes and
// the /api/stream events (see docs/ARCHITECTURE.md for their shapes).
(function () {
  "use strict";

  var root = document.getElementById("live");
  if (!root) { return; }
  var config = JSON.parse(root.dataset.config);
  var texts = JSON.parse(root.dataset.texts);
  var lang = root.dataset.lang || "en";
  var SENSORS = config.sensors;
  var TRAIL_S = 1.5;          // seconds of centre-of-pressure history drawn as the trail
  var RECONNECT_MS = 2000;    // when the browser gave up on the stream itself
  var WARN_MARGIN = 0.04;     // share within this of its limit shows amber
  var MESSAGE_MS = 4000;      // how long a reply to a control stays on screen

  function $(id) { return document.getElementById(id); }
  // Frames come 25 times a second: touch the page only where something changed (cheaper
  // on a slow tablet, and a screen reader hears a live region only when it says more).
  function setText(el, value) {
    if (el.textContent !== value) { el.textContent = value; }
  }
  function setAttr(el, name, value) {
    if (el.getAttribute(name) !== value) { el.setAttribute(name, value); }
  }

  // ---- Texts ---------------------------------------------------------------------------
  var shared = window.InsoleExercise;
  var i18n = shared.translator(texts, lang);
  var tr = i18n.tr, fmt = i18n.fmt;

  var exerciseView = new shared.View({
    tr: tr, fmt: fmt, modes: config.modes, mlLimit: config.ml_shift_limit
  });

  // ---- Stored preferences --------------------------------------------------------------
  function pref(name, fallback) {
    try {
      var value = window.localStorage.getItem("insole." + name);
      return value === null ? fallback : value === "1";
    } catch (err) { return fallback; }
  }
  function setPref(name, on) {
    try { window.localStorage.setItem("insole." + name, on ? "1" : "0"); } catch (err) { /* private mode */ }
  }

  // ---- Audio cues (WebAudio tones; no sound files) ------------------------------------
  var audio = null;
  var soundOn = pref("sound", true);
  var voiceOn = pref("voice", false);
  function unlockAudio() {
    // Browsers only allow audio after a user gesture; the first tap anywhere creates it.
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) { return; }
    if (!audio) { audio = new Ctx(); }
    if (audio.state === "suspended") { audio.resume(); }
  }
  function tone(freqs, noteS, type) {
    if (!soundOn || !audio || audio.state !== "running") { return; }
    var start = audio.currentTime + 0.02;
    freqs.forEach(function (freq, i) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      var t0 = start + i * noteS;
      osc.type = type || "sine";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, t0);
      gain.gain.exponentialRampToValueAtTime(0.35, t0 + 0.015);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + noteS * 0.95);
      osc.connect(gain).connect(audio.destination);
      osc.start(t0);
      osc.stop(t0 + noteS);
    });
  }
  var cues = {
    holdStarted: function () { tone([880], 0.12); },
    holdComplete: function () { tone([660, 990], 0.16); },
    holdShort: function () { tone([330, 247], 0.2, "triangle"); },
    setDone: function () { tone([523, 659, 784, 1047], 0.16); }
  };
  function say(text) {
    if (voiceOn && soundOn) { shared.speak(text, lang); }
  }

  // ---- Screen wake lock during a set ---------------------------------------------------
  var wakeLock = null;
  var setRunning = false;
  // The lock's state is mirrored in <body data-wake-lock> (held, released, refused) so
  // that it can be seen from outside the script, e.g. by the browser tests.
  function keepAwake(on) {
    if (!("wakeLock" in navigator)) { return; }
    if (on && !wakeLock && document.visibilityState === "visible") {
      navigator.wakeLock.request("screen").then(function (lock) {
        if (!setRunning) { lock.release(); return; }  // the set ended while we asked
        wakeLock = lock;
        document.body.dataset.wakeLock = "held";
        lock.addEventListener("release", function () {
          wakeLock = null;
          document.body.dataset.wakeLock = "released";
        });
      }).catch(function () {
        // Refused (battery saver, hidden tab): the page still works, the screen may dim.
        document.body.dataset.wakeLock = "refused";
      });
    } else if (!on && wakeLock) {
      wakeLock.release().catch(function () {});
      wakeLock = null;
    }
  }
  document.addEventListener("visibilitychange", function () {
    // The browser drops the lock when the tab is hidden; take it again on return.
    if (document.visibilityState === "visible") { keepAwake(setRunning); }
  });

  // ---- Geometry of the drawing ---------------------------------------------------------
  // The drawing's group is in insole millimetres (x towards the big toe, y forward); CSS
  // flips and, for the right foot, mirrors it. A point with shares s is at the share-weighted
  // mean of the sensor positions (the centre of pressure of three point loads).
  function toMm(shares) {
    var x = 0, y = 0;
    SENSORS.forEach(function (name, i) {
      x += shares[i] * config.positions_mm[name][0];
      y += shares[i] * config.positions_mm[name][1];
    });
    return [x, y];
  }
  function pointsAttr(list) {
    return list.map(function (p) { return p[0].toFixed(1) + "," + p[1].toFixed(1); }).join(" ");
  }
  // Limits on each share that count as balanced: [low, high] per sensor.
  function shareLimits() {
    if (config.personal_target) {
      var tol = config.target_tolerance;
      return config.personal_target.map(function (t) { return [t - tol, t + tol]; });
    }
    return SENSORS.map(function () { return [config.min_share, 1]; });
  }
  // The target zone: the part of the tripod triangle where every share is within its
  // limits, found by clipping the triangle (in share space) by each limit in turn.
  function zonePolygon() {
    var poly = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
    shareLimits().forEach(function (lim, i) {
      poly = clip(poly, function (s) { return s[i] - lim[0]; });
      poly = clip(poly, function (s) { return lim[1] - s[i]; });
    });
    return poly.map(toMm);
  }
  function clip(poly, inside) {
    var out = [];
    for (var k = 0; k < poly.length; k++) {
      var a = poly[k], b = poly[(k + 1) % poly.length];
      var fa = inside(a), fb = inside(b);
      if (fa >= 0) { out.push(a); }
      if ((fa >= 0) !== (fb >= 0)) {
        var u = fa / (fa - fb);
        out.push(a.map(function (v, j) { return v + u * (b[j] - v); }));
      }
    }
    return out;
  }
  function drawStatic() {
    var frame = $("foot-frame");
    frame.setAttribute("class", "foot-" + config.foot);
    $("tripod").setAttribute("points", pointsAttr(SENSORS.map(function (name) {
      return config.positions_mm[name];
    })));
    $("zone").setAttribute("points", pointsAttr(zonePolygon()));
    document.querySelectorAll(".foot-choice").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.foot === config.foot));
    });
  }

  // ---- Rendering the newest frame ------------------------------------------------------
  var frame = null;
  var dirty = false;
  var trail = [];
  var completeCued = false;
  var lastSpoken = null;

  function level(share, i) {
    var lim = shareLimits()[i];
    if (share < lim[0] || share > lim[1]) { return "bad"; }
    if (share < lim[0] + WARN_MARGIN || share > lim[1] - WARN_MARGIN) { return "warn"; }
    return "ok";
  }

  function render() {
    dirty = false;
    var f = frame;
    if (!f) { return; }
    // Clamped: a tared sensor can read a hair below zero.
    var shares = f.shares ? SENSORS.map(function (name) {
      return Math.min(1, Math.max(0, Number(f.shares[name]) || 0));
    }) : null;

    // Points and share tiles
    SENSORS.forEach(function (name, i) {
      var point = $("pt-" + name);
      var tile = $("share-" + name);
      var cls = shares ? level(shares[i], i) : "idle";
      if (f.off_point === name && cls === "ok") { cls = "warn"; }
      setAttr(point, "r", shares ? (5 + 22 * Math.sqrt(shares[i])).toFixed(1) : "5");
      setAttr(point, "class", "point " + cls);
      tile.className = "share " + cls;
      setText($("share-value-" + name), shares ? Math.round(shares[i] * 100) + "%" : "–");
    });

    // Centre of pressure and its trail
    var cop = $("cop");
    if (trail.length && trail[trail.length - 1][0] > f.t_s) { trail = []; }  // a restarted clock
    if (shares) {
      var p = toMm(shares);
      cop.setAttribute("cx", p[0].toFixed(1));
      cop.setAttribute("cy", p[1].toFixed(1));
      cop.setAttribute("visibility", "visible");
      trail.push([f.t_s, p]);
    } else {
      cop.setAttribute("visibility", "hidden");
      trail = [];
    }
    while (trail.length && trail[0][0] < f.t_s - TRAIL_S) { trail.shift(); }
    $("trail").setAttribute("points", pointsAttr(trail.map(function (e) { return e[1]; })));

    // State in words and colour
    var state = $("state");
    var setInfo = f.set || {};
    var look = shared.stateOf(f);
    var stateClass = look[0], word = tr(look[1]);
    state.className = "state " + stateClass;
    state.dataset.cueKey = f.cue_key || "";
    setText($("state-word"), word);

    // Rep view (rep modes) or band line (band hold); the hold timer only for hold modes
    var kind = exerciseView.render(f);
    document.querySelector(".hold").hidden = kind === "rep";

    // Hold timer
    var hold = f.hold || { state: "idle", elapsed_s: 0, target_s: config.hold_target_s };
    var target = hold.target_s || config.hold_target_s;
    var elapsed = hold.state === "idle" ? 0 : hold.elapsed_s || 0;
    var complete = elapsed >= target && hold.state !== "idle";
    $("hold-fill").style.width = Math.min(100, 100 * elapsed / target).toFixed(1) + "%";
    setAttr($("hold-bar"), "aria-valuenow", elapsed.toFixed(1));
    setAttr($("hold-bar"), "aria-valuemax", String(target));
    setText($("hold-time"), tr("live.hold.time", { elapsed: fmt(elapsed, 1), target: fmt(target, 1, 0) }));
    document.querySelector(".hold").className = "hold hold-" + hold.state + (complete ? " hold-complete" : "");
    var cue = f.cue_key ? tr("cue." + f.cue_key) : (f.cue || "");
    setText($("cue"), complete && f.balanced ? tr("live.hold.complete") : cue);
    if (complete && !completeCued) {
      completeCued = true;
      cues.holdComplete();
      say(tr("live.speech.done"));
    }
    if (hold.state === "holding" && !complete) {
      var left = Math.ceil(target - elapsed);
      if (left <= 3 && left >= 1 && left !== lastSpoken) { lastSpoken = left; say(fmt(left, 0)); }
    }

    // Rep count and last hold
    renderSet(setInfo);
    if (kind === "rep") { renderLastRep(f.last_rep); } else { renderLastHold(f.last_hold); }
  }

  function renderSet(setInfo) {
    var running = !!setInfo.running;
    var started = running || (setInfo.attempted || 0) > 0;
    setText($("reps"), started
      ? tr("live.reps.count", { correct: setInfo.correct || 0, target: setInfo.rep_target || config.rep_target })
      : tr("live.reps.idle"));
    setText($("attempted"), started ? tr("live.reps.attempted", { attempted: setInfo.attempted || 0 }) : "");
    if (running !== setRunning) {
      setRunning = running;
      keepAwake(running);
    }
    var button = $("set-toggle");
    setText(button, tr(running ? "live.control.stop" : "live.control.start"));
    button.classList.toggle("running", running);
  }

  function renderLastRep(last) {
    var el = $("last-hold");
    setText($("last-label"), tr("rep.last.label") + ":");
    setText(el, last ? exerciseView.verdict(last) : tr("rep.last.none"));
    el.className = last ? last.outcome : "";
  }

  function renderLastHold(last) {
    var el = $("last-hold");
    setText($("last-label"), tr("live.last_hold.label") + ":");
    if (!last) {
      setText(el, tr("live.last_hold.none"));
      el.className = "";
      return;
    }
    setText(el, tr("live.last_hold.text", {
      outcome: tr("outcome." + last.outcome),
      duration: fmt(last.duration_s, 1),
      score: fmt(last.score, 0)
    }) + exerciseView.bandSuffix(last));
    el.className = last.outcome;
  }

  function schedule() {
    if (!dirty) {
      dirty = true;
      window.requestAnimationFrame(render);
    }
  }

  // ---- Banners (device faults, simulated insole, connection) ----------------------------
  var banners = new shared.Banners(tr, texts);

  // ---- Event stream --------------------------------------------------------------------
  var source = null;
  function setConnected(on) { banners.setConnected(on); }
  function on(kind, handler) {
    source.addEventListener(kind, function (event) { handler(JSON.parse(event.data)); });
  }
  function connect() {
    source = new EventSource("/api/stream");
    source.addEventListener("open", function () { setConnected(true); });
    source.addEventListener("error", function () {
      setConnected(false);
      // The browser retries a dropped stream by itself; after an HTTP error it gives up
      // (readyState CLOSED), so then we start a new one.
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        window.setTimeout(connect, RECONNECT_MS);
      }
    });
    on("frame", function (data) {
      setConnected(true);
      // Two insoles: static/live_feet.js draws both feet; the set controls stay here.
      if (data.feet) { if (window.insoleFeet) { window.insoleFeet.frame(data, renderSet); } return; }
      frame = data; schedule();
    });
    on("status", function (data) {
      setConnected(true);
      banners.setStatus(data);
      // A set started elsewhere (the guided page, another tablet): show its exercise.
      var set = data.set || {};
      if (set.running && set.exercise) { $("exercise").value = set.exercise; }
    });
    on("hold_started", function () { completeCued = false; lastSpoken = null; cues.holdStarted(); });
    on("hold_ended", function (data) {
      if (data.outcome === "short") { cues.holdShort(); } else if (!completeCued) { cues.holdComplete(); }
      completeCued = false;
      renderLastHold(data);
    });
    on("rep_ended", function (data) {
      if (data.outcome === "correct") {
        cues.holdComplete();
        say(fmt(data.correct, 0));
      } else {
        cues.holdShort();
        say(tr("rep.speech.lost"));
      }
      renderLastRep(data);
    });
    on("set_done", function () { cues.setDone(); say(tr("cue.set_done")); });
    on("set_started", function (data) {
      if (data.foot && data.foot !== config.foot) { config.foot = data.foot; drawStatic(); }
      message(tr("live.msg.set_started"));
    });
    on("set_stopped", function () { message(tr("live.msg.set_stopped")); });
    on("target_captured", function (data) {
      var target = data.personal_target;
      if (target) {
        config.personal_target = Array.isArray(target) ? target : SENSORS.map(function (n) { return target[n]; });
      }
      if (typeof data.tolerance === "number") { config.target_tolerance = data.tolerance; }
      drawStatic();
      message(tr("live.msg.target_captured"));
    });
    on("tared", function (data) {
      message(data.drift_warning ? data.drift_warning : tr("live.msg.tared"), !!data.drift_warning);
    });
    on("target_failed", function (data) { message(tr("live.msg.failed", { message: data.message }), true); });
    on("device_error", function (data) {
      if (data && data.message) { message(tr("live.msg.failed", { message: data.message }), true); }
    });
    on("gap", function (data) {
      message(tr("live.msg.gap", { seconds: fmt(data.end_s - data.start_s, 1) }));
    });
  }

  // ---- Controls ------------------------------------------------------------------------
  var messageTimer = null;
  function message(text, isError) {
    var el = $("message");
    el.textContent = text;
    el.classList.toggle("error", !!isError);
    window.clearTimeout(messageTimer);
    messageTimer = window.setTimeout(function () { el.textContent = ""; }, MESSAGE_MS);
  }
  function post(url, body) {
    return shared.post(url, body).catch(function (err) {
      message(tr("live.msg.failed", { message: err.message }), true);
      throw err;
    });
  }
  function ignore() { /* already shown in the message line */ }

  $("set-toggle").addEventListener("click", function () {
    if (setRunning) {
      post("/api/set/stop").catch(ignore);
    } else {
      post("/api/set/start", { exercise: $("exercise").value, foot: config.foot }).catch(ignore);
    }
  });
  $("tare").addEventListener("click", function () {
    post("/api/tare").catch(ignore);  // the "tared" event tells every open page
  });
  $("capture").addEventListener("click", function () {
    post("/api/target/capture", { duration_s: 3 }).then(function (data) {
      message(tr("live.msg.capturing", { seconds: fmt(data.duration_s, 0) }));
    }).catch(ignore);
  });
  document.querySelectorAll(".foot-choice").forEach(function (button) {
    button.addEventListener("click", function () {
      config.foot = button.dataset.foot;
      trail = [];
      drawStatic();
    });
  });
  function bindToggle(id, name, get, set) {
    var button = $(id);
    button.setAttribute("aria-pressed", String(get()));
    button.addEventListener("click", function () {
      set(!get());
      setPref(name, get());
      button.setAttribute("aria-pressed", String(get()));
      if (!get() && "speechSynthesis" in window) { window.speechSynthesis.cancel(); }
    });
  }
  bindToggle("sound-toggle", "sound", function () { return soundOn; }, function (v) { soundOn = v; });
  bindToggle("voice-toggle", "voice", function () { return voiceOn; }, function (v) { voiceOn = v; });
  if (!("speechSynthesis" in window)) { $("voice-toggle").hidden = true; }
  document.addEventListener("pointerdown", unlockAudio, { passive: true });
  document.addEventListener("keydown", unlockAudio);

  drawStatic();
  connect();
}());
