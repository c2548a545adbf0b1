// What the live page and the guided page share: texts, posting with the CSRF token, the
// state word of a frame, speech, the device banners, and the rep view (sit-to-stand, squat,
// lunge) and band line (band hold) drawn into the elements of templates/_exercise_view.html.
// Plain script: it defines window.InsoleExercise. Frame fields: docs/ARCHITECTURE.md ("rep", "band",
// "last_rep", "last_hold").
(function () {
  "use strict";

  // tr(key, {name: value}) fills {name} placeholders; fmt formats numbers in the language.
  function translator(texts, lang) {
    function tr(key, values) {
      var text = Object.prototype.hasOwnProperty.call(texts, key) ? texts[key] : key;
      if (values) {
        text = text.replace(/\{(\w+)\}/g, function (whole, name) {
          return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
        });
      }
      return text;
    }
    function fmt(value, digits, minDigits) {
      return Number(value).toLocaleString(lang, {
        minimumFractionDigits: minDigits === undefined ? digits : minDigits,
        maximumFractionDigits: digits
      });
    }
    return { tr: tr, fmt: fmt };
  }

  // POST JSON with the CSRF token; resolves to the answer, rejects with its message. An
  // unpaired tablet is sent to the pairing page.
  function post(url, body) {
    var headers = { "Content-Type": "application/json", "Accept": "application/json" };
    var token = document.querySelector('meta[name="csrf-token"]');
    if (token) { headers["X-CSRF-Token"] = token.content; }
    return fetch(url, {
      method: "POST", headers: headers, credentials: "same-origin",
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.status === 401 && data.pair_url) {
          window.location.assign(data.pair_url);
        }
        if (!response.ok) {
          throw new Error(data.message || response.status + " " + response.statusText);
        }
        return data;
      });
    });
  }

  // Speak in the page's language (a newer prompt cuts off an older one).
  function speak(text, lang) {
    if (!("speechSynthesis" in window) || !text) { return; }
    var utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = lang;
    utterance.rate = 1.05;
    window.speechSynthesis.cancel();
    window.speechSynthesis.speak(utterance);
  }

  // The state of a frame in words and colour: [css class, text key].
  function stateOf(f) {
    if (f.cue_key === "set_done") { return ["state-done", "live.state.done"]; }
    if (f.balanced) { return ["state-ok", "live.state.balanced"]; }
    if (f.cue_key === "rest") { return ["state-unloaded", "live.state.rest"]; }
    if (!f.shares || f.cue_key === "load_foot") { return ["state-unloaded", "live.state.unloaded"]; }
    return ["state-off", "live.state.off"];
  }

  function $(id) { return document.getElementById(id); }
  function setText(el, value) {
    if (el && el.textContent !== value) { el.textContent = value; }
  }

  // ctx: {tr(key, values), fmt(value, digits), modes: {name: {kind, phases}}, mlLimit}
  function View(ctx) {
    this.ctx = ctx;
    this.mode = null;
  }

  // The phase chips of the mode, built again only when the mode changes.
  View.prototype.phases = function (mode) {
    if (mode === this.mode) { return; }
    this.mode = mode;
    var list = $("rep-phases");
    if (!list) { return; }
    var info = this.ctx.modes[mode] || { phases: [] };
    var tr = this.ctx.tr;
    list.replaceChildren.apply(list, info.phases.map(function (name) {
      var li = document.createElement("li");
      li.dataset.phase = name;
      li.textContent = tr("phase." + name);
      return li;
    }));
  };

  // Shows the rep view for rep modes and the band line for the band hold; returns the
  // kind drawn ("rep", "band" or "hold") so the page can hide what does not apply.
  View.prototype.render = function (f) {
    var view = $("rep-view");
    var band = $("band-line");
    var tr = this.ctx.tr, fmt = this.ctx.fmt;
    if (view) { view.hidden = !f.rep; }
    if (band) { band.hidden = !f.band; }
    if (f.rep) {
      this.phases(f.exercise);
      var rep = f.rep;
      document.querySelectorAll("#rep-phases li").forEach(function (li) {
        li.className = li.dataset.phase === rep.phase ? (rep.tripod_ok ? "now ok" : "now bad") : "";
      });
      var now = $("rep-now");
      var text, cls;
      if (rep.phase === "idle") {
        text = tr("rep.now.ready"); cls = "rep-now";
      } else if (rep.tripod_ok) {
        text = tr("rep.now.clean"); cls = "rep-now ok";
      } else {
        text = tr("rep.now.lost", {
          point: tr("sensor." + (rep.lost_point || "")),
          phase: tr("phase." + (rep.lost_phase || rep.phase))
        });
        cls = "rep-now bad";
      }
      setText(now, text);
      if (now.className !== cls) { now.className = cls; }
      this.shift(rep.phase === "idle" ? 0 : rep.ml_shift || 0);
      return "rep";
    }
    if (f.band && band) {
      var b = f.band;
      var line = b.in_pull
        ? tr("band.pulling", { depth: fmt(100 * b.pull_depth, 0) })
        : tr("band.line", { pulls: b.pulls, deepest: fmt(100 * b.deepest, 0) });
      setText(band, line);
      band.className = "band-line" + (b.in_pull ? " pulling" : "");
      return "band";
    }
    return "hold";
  };

  // The sideways-shift gauge: the middle is the rep's own starting balance; the green
  // zone is +-ml_shift_limit; the gauge ends at twice the limit. Towards the big toe
  // (knee in) is drawn to the right, as in the label.
  View.prototype.shift = function (ml) {
    var mark = $("ml-mark"), zone = $("ml-zone");
    if (!mark) { return; }
    var limit = this.ctx.mlLimit || 0.2;
    var u = Math.max(-1, Math.min(1, ml / (2 * limit)));
    mark.style.left = (50 + 50 * u).toFixed(1) + "%";
    mark.className = "ml-mark" + (Math.abs(ml) > limit ? " bad" : "");
    zone.style.left = "25%";
    zone.style.width = "50%";
  };

  // One line about a finished rep: outcome, tripod, sideways shift, score.
  View.prototype.verdict = function (rep) {
    var tr = this.ctx.tr, fmt = this.ctx.fmt;
    var shift = (rep.ml_shift > 0 ? "+" : "") + fmt(100 * rep.ml_shift, 0);
    var ml = rep.knee_drift === "in" ? "rep.verdict.ml_in"
      : rep.knee_drift === "out" ? "rep.verdict.ml_out" : "rep.verdict.ml_ok";
    return tr("rep.verdict.text", {
      outcome: tr("outcome." + rep.outcome),
      duration: fmt(rep.duration_s, 1),
      tripod: rep.outcome === "correct" ? tr("rep.verdict.clean")
        : tr("rep.verdict.lost", { point: tr("sensor." + rep.lost_point), phase: tr("phase." + rep.lost_phase) }),
      ml: tr(ml, { shift: shift }),
      score: fmt(rep.score, 0)
    });
  };

  // The band figures of a finished band hold, appended to the hold's line.
  View.prototype.bandSuffix = function (hold) {
    if (typeof hold.pulls !== "number") { return ""; }
    var text = " · " + this.ctx.tr("band.last", { pulls: hold.pulls });
    return hold.snapped ? text + " · " + this.ctx.tr("band.snapped") : text;
  };

  // ---- Banners: the device's (status events) and a lost connection, faults first -----------
  function Banners(tr, texts) {
    this.tr = tr;
    this.texts = texts;
    this.status = null;
    this.connected = true;
  }
  function banner(key, level, text) {
    var div = document.createElement("div");
    div.className = "banner banner-" + level;
    div.dataset.banner = key;
    div.textContent = text;
    return div;
  }
  var BANNER_LEVELS = { info: "warn", warning: "warn", error: "bad" };
  // The monitor names each banner by key (simulated, sensor_fault.<sensor>,
  // logging_paused, ...); the text shown is ours, translated, with the monitor's English
  // text as the fallback for a key we do not know.
  Banners.prototype.fromStatus = function (b, st) {
    var tr = this.tr;
    var key = String(b.key || "");
    var level = BANNER_LEVELS[b.level] || "warn";
    var self = this, parts = key.split(".");
    var sensorFault = function (name, sensors) {
      var state = (sensors[name] && sensors[name].state) || "";
      var textKey = self.texts["banner.sensor_fault." + state] ? "banner.sensor_fault." + state : "banner.sensor_fault";
      return tr(textKey, { point: tr("sensor." + name) });
    };
    var onInsole = function (side, text) {
      return tr("banner.on_insole", { insole: tr("banner.insole." + side), text: text });
    };
    if (key === "simulated") { return banner(key, level, tr("banner.simulated")); }
    if (parts[0] === "sensor_fault" && parts.length === 2) {
      return banner(key, level, sensorFault(parts[1], (st.health && st.health.sensors) || {}));
    }
    if (parts[0] === "foot_sensor_fault" && parts.length === 3) {
      // Two insoles: "foot_sensor_fault.<side>.<sensor>", health per foot.
      var foot = (st.feet && st.feet[parts[1]]) || {};
      return banner(key, level, onInsole(parts[1], sensorFault(parts[2], foot.sensors || {})));
    }
    if (parts[0] === "adc_fault" && parts.length <= 2) {
      // The detail is the driver's own words (English); the headline is translated.
      var none = tr("banner.adc_fault", { detail: b.detail || b.text || "" });
      return banner(key, level, parts.length === 1 ? none : onInsole(parts[1], none));
    }
    if (key === "logging_paused") {
      return banner(key, level, tr("banner.logging_paused", { reason: b.text || "" }));
    }
    return banner(key, level, b.text || key);
  };
  Banners.prototype.setStatus = function (status) { this.status = status; this.render(); };
  Banners.prototype.setConnected = function (on) {
    if (on !== this.connected) { this.connected = on; this.render(); }
  };
  Banners.prototype.render = function () {
    var self = this, list = [], status = this.status;
    if (!this.connected) { list.push(banner("connection", "bad", this.tr("banner.connection_lost"))); }
    if (status) {
      (status.banners || []).forEach(function (b) { if (b) { list.push(self.fromStatus(b, status)); } });
    }
    // Most serious first: a fault must not hide below an information.
    var rank = { bad: 0, warn: 1 };
    list.sort(function (x, y) {
      return rank[x.className.split("banner-")[1]] - rank[y.className.split("banner-")[1]];
    });
    var box = document.getElementById("banners");
    var keyOf = function (nodes) {
      return Array.prototype.map.call(nodes, function (n) { return n.dataset.banner + n.textContent; }).join("|");
    };
    if (keyOf(box.children) !== keyOf(list)) { box.replaceChildren.apply(box, list); }
  };

  window.InsoleExercise = {
    View: View, Banners: Banners, translator: translator, post: post, speak: speak, stateOf: stateOf
  };
}());
