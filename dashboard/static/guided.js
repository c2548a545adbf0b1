// Guided session page: shows the device's guided state (GET /api/guided and the `guided`
// events of /api/stream), speaks the prompts, and during a set draws the live rep view.
// The state lives on the device, so a reload or a second tablet shows the same stage.
(function () {
  "use strict";

  var root = document.getElementById("guided");
  if (!root) { return; }
  var config = JSON.parse(root.dataset.config);
  var texts = JSON.parse(root.dataset.texts);
  var lang = root.dataset.lang || "en";
  var shared = window.InsoleExercise;
  var i18n = shared.translator(texts, lang);
  var tr = i18n.tr, fmt = i18n.fmt;
  var view = new shared.View({
    tr: tr, fmt: fmt, modes: config.modes, mlLimit: config.ml_shift_limit
  });
  var RECONNECT_MS = 2000;
  var MESSAGE_MS = 4000;

  function $(id) { return document.getElementById(id); }
  function setText(el, value) {
    if (el.textContent !== value) { el.textContent = value; }
  }

  // ---- Voice (switchable, remembered by the browser) ------------------------------------
  var voiceOn = true;
  try { voiceOn = window.localStorage.getItem("insole.guided.voice") !== "0"; } catch (err) { /* private mode */ }
  function say(text) { if (voiceOn) { shared.speak(text, lang); } }
  var voiceButton = $("voice-toggle");
  voiceButton.setAttribute("aria-pressed", String(voiceOn));
  voiceButton.addEventListener("click", function () {
    voiceOn = !voiceOn;
    try { window.localStorage.setItem("insole.guided.voice", voiceOn ? "1" : "0"); } catch (err) { /* private mode */ }
    voiceButton.setAttribute("aria-pressed", String(voiceOn));
    if (!voiceOn && "speechSynthesis" in window) { window.speechSynthesis.cancel(); }
  });
  if (!("speechSynthesis" in window)) { voiceButton.hidden = true; }

  // ---- Texts of the programme -------------------------------------------------------------
  // Checklist items and step notes are translated only while they are the default's words;
  // a physiotherapist's own text is shown as written.
  function itemText(item) {
    var key = "guided.item." + item.key;
    return config.default_items[item.key] === item.text && texts[key] ? tr(key) : item.text;
  }
  function noteText(step) {
    var key = "guided.note." + step.mode;
    return step.note && config.default_notes[step.mode] === step.note && texts[key] ? tr(key) : step.note;
  }
  function target(step) {
    return step.hold_s
      ? tr("guided.target.holds", { reps: step.reps, hold: fmt(step.hold_s, 1, 0) })
      : tr("guided.target.reps", { reps: step.reps });
  }
  function setTitle(stage) {
    return tr("guided.set_title", {
      exercise: tr("exercise." + stage.step.mode), n: stage.set_number, sets: stage.step.sets
    });
  }
  function checklist(kind) {
    return kind === "warm_up" ? state.programme.warm_up : state.programme.cool_down;
  }
  function itemOf(stage) {
    var items = checklist(stage.kind);
    var n = stage.index - (stage.kind === "warm_up" ? 0 : firstIndex("cool_down")) + 1;
    return tr("guided.item_of", { kind: tr("guided.kind." + stage.kind), n: n, total: items.length });
  }
  function firstIndex(kind) {
    for (var i = 0; i < state.stages.length; i++) { if (state.stages[i].kind === kind) { return i; } }
    return 0;
  }
  function describe(stage) {
    if (!stage) { return ""; }
    if (stage.kind === "set") { return setTitle(stage); }
    if (stage.item) { return itemText(stage.item); }
    return tr("guided.kind." + stage.kind);
  }
  function clock(seconds) {
    var s = Math.max(0, Math.ceil(seconds));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  // ---- State from the device ----------------------------------------------------------------
  var state = null;
  var frame = null;
  // Two insoles: both feet of the newest frame, and the one the card shows in full.
  var feet = null;
  var shownFoot = "left";

  function applyState(next) {
    if (state && next.revision < state.revision) { return; }  // an older answer came late
    var prev = state;
    state = next;
    render();
    if (prev) { announce(prev, next); }
  }
  function load() {
    fetch("/api/guided", { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(applyState)
      .catch(function () { /* the stream's reconnect loads it again */ });
  }

  // Spoken and on-screen prompts when the stage changes (not on the first load).
  function announce(prev, next) {
    var stage = next.stage;
    if (!next.active || !stage) { return; }
    if (prev.active && prev.position === next.position) {
      if (next.set.running && !prev.set.running) { say(tr("guided.say.running")); }
      return;
    }
    if (stage.kind === "warm_up" || stage.kind === "cool_down") {
      say(tr("guided.say.item", { kind: tr("guided.kind." + stage.kind), text: itemText(stage.item) }));
    } else if (stage.kind === "set") {
      say(tr("guided.say.set", {
        exercise: tr("exercise." + stage.step.mode), n: stage.set_number, sets: stage.step.sets,
        target: target(stage.step)
      }));
    } else if (stage.kind === "rest") {
      say(tr("guided.say.rest", { seconds: Math.round(stage.rest_s), next: describe(next.next) }));
    } else if (stage.kind === "done") {
      say(tr("guided.say.done"));
    }
  }

  // ---- Drawing ------------------------------------------------------------------------------
  function render() {
    var s = state;
    var stage = s.active ? s.stage : null;
    var kind = stage ? stage.kind : "idle";
    var running = !!(s.set && s.set.running);
    var card = $("g-card");
    card.dataset.kind = kind;
    card.classList.toggle("running", running);
    // During a set the live view needs the room: the overview waits below the fold.
    root.classList.toggle("set-running", kind === "set" && running);

    var last = Math.max(1, s.stage_count - 1);
    var done = stage ? s.position / last : 0;
    $("g-progress-fill").style.width = (100 * done).toFixed(1) + "%";
    $("g-progress").setAttribute("aria-valuemax", String(last));
    $("g-progress").setAttribute("aria-valuenow", String(stage ? s.position : 0));
    setText($("g-stage-of"), stage ? tr("guided.stage_of", { n: s.position + 1, total: s.stage_count }) : "");

    var kindText = tr("guided.heading"), title = tr("guided.overview"), text = tr("guided.intro");
    var prompt = "", primary = tr("guided.start"), secondary = null;
    if (kind === "warm_up" || kind === "cool_down") {
      // The title says where in the list; the list itself names every item.
      kindText = "";
      title = itemOf(stage);
      text = "";
      prompt = tr("guided.prompt.checklist");
      primary = tr("guided.tick");
    } else if (kind === "set") {
      kindText = tr("guided.kind.set") + " · " + target(stage.step);
      title = setTitle(stage);
      text = noteText(stage.step);
      prompt = tr(running ? "guided.prompt.set_running" : "guided.prompt.set_ready");
      primary = tr(running ? "guided.set.stop" : "guided.set.start");
      secondary = running ? null : tr("guided.set.skip");
    } else if (kind === "rest") {
      kindText = "";
      title = tr("guided.kind.rest") + " · " + fmt(stage.rest_s, 0) + " s";
      text = "";
      prompt = tr("guided.prompt.rest");
      primary = tr("guided.rest.skip");
    } else if (kind === "done") {
      kindText = tr("guided.kind.done");
      title = tr("guided.done.title");
      text = "";
      prompt = tr("guided.prompt.done");
      primary = tr("guided.done.again");
    }
    setText($("g-kind"), kindText);
    $("g-kind").hidden = !kindText;
    setText($("g-title"), title);
    setText($("g-text"), text || "");
    $("g-text").hidden = !text;
    setText($("g-prompt"), prompt);
    $("g-prompt").hidden = !prompt;
    setText($("g-primary"), primary);
    $("g-primary").classList.toggle("running", running);
    $("g-secondary").hidden = !secondary;
    if (secondary) { setText($("g-secondary"), secondary); }
    $("g-end").hidden = !s.active;

    renderChecklist(stage);
    renderResults(kind);
    $("g-rest").hidden = kind !== "rest";
    if (kind === "rest") { setText($("g-next"), tr("guided.rest.next", { what: describe(s.next) })); }
    $("g-live").hidden = !(kind === "set" && running);
    renderOutline();
    renderFrame();
  }

  // Every item of the current checklist: ticked ones, the one to do now, the ones to come.
  function renderChecklist(stage) {
    var list = $("g-checklist");
    var isList = !!stage && (stage.kind === "warm_up" || stage.kind === "cool_down");
    list.hidden = !isList;
    if (!isList) { return; }
    var first = firstIndex(stage.kind);
    var items = checklist(stage.kind).map(function (item, i) {
      var li = document.createElement("li");
      var at = first + i;
      li.className = at < stage.index ? "done" : at === stage.index ? "now" : "later";
      li.textContent = itemText(item);
      return li;
    });
    list.replaceChildren.apply(list, items);
  }

  // A set's result in words ("8 of 8 correct", "skipped").
  function resultText(r) {
    var key = "guided.result." + r.status;
    var values = { correct: r.correct === null || r.correct === undefined ? "–" : r.correct,
                   attempted: r.attempted === null || r.attempted === undefined ? "–" : r.attempted };
    return tr("exercise." + r.mode) + " " + r.set_number + ": " + tr(key, values);
  }
  // In a rest: how the set just finished went; at the end: every set of the session.
  function renderResults(kind) {
    var sets = state.results.filter(function (r) { return r.kind === "set"; });
    var line = $("g-result"), list = $("g-results");
    var last = sets.length ? sets[sets.length - 1] : null;
    line.hidden = !(kind === "rest" && last);
    if (!line.hidden) { setText(line, resultText(last)); }
    list.hidden = kind !== "done";
    if (!list.hidden) {
      list.replaceChildren.apply(list, sets.map(function (r) {
        var li = document.createElement("li");
        li.className = r.status;
        li.textContent = resultText(r);
        return li;
      }));
    }
  }

  // The programme at a glance: warm-up, each exercise with its sets, cool-down.
  function renderOutline() {
    var s = state, rows = [], byKey = {};
    var position = s.active ? s.position : -1;
    s.stages.forEach(function (st, i) {
      if (st.kind === "rest" || st.kind === "done") { return; }
      var key = st.kind === "set" ? "step" + st.step_index : st.kind;
      var row = byKey[key];
      if (!row) {
        var label;
        if (st.kind === "set") {
          var step = s.programme.steps[st.step_index];
          label = tr("exercise." + step.mode) + " · " + tr("guided.step_line", { sets: step.sets, target: target(step) });
        } else {
          label = tr("guided.kind." + st.kind) + " · " + checklist(st.kind).length;
        }
        row = byKey[key] = { label: label, first: i, last: i, total: 0 };
        rows.push(row);
      }
      row.last = i;
      row.total += 1;
    });
    var list = $("g-outline");
    var items = rows.map(function (row) {
      var li = document.createElement("li");
      var through = 0;
      s.results.forEach(function (r) { if (r.stage >= row.first && r.stage <= row.last && r.kind !== "rest") { through += 1; } });
      var status = position > row.last ? "done" : position >= row.first ? "now" : "later";
      li.className = status;
      li.textContent = row.label;
      var count = document.createElement("span");
      count.className = "g-count";
      count.textContent = through + "/" + row.total;
      li.appendChild(count);
      return li;
    });
    var keyOf = function (nodes) {
      return Array.prototype.map.call(nodes, function (n) { return n.className + n.textContent; }).join("|");
    };
    if (keyOf(list.children) !== keyOf(items)) { list.replaceChildren.apply(list, items); }
  }

  // ---- The live part of a set (and the rest countdown, on the monitor's clock) ---------------
  var lastSecond = null;
  function renderFrame() {
    if (!state || !state.active) { return; }
    var f = frame;
    var now = f ? Math.max(f.t_s, state.clock_s) : state.clock_s;
    if (state.rest) {
      var left = state.rest.ends_s - now;
      setText($("g-countdown"), clock(left));
      var whole = Math.ceil(left);
      if (whole <= 3 && whole >= 1 && whole !== lastSecond) { lastSecond = whole; say(fmt(whole, 0)); }
    }
    if (!f || $("g-live").hidden) { return; }
    renderFeet();
    var look = shared.stateOf(f);
    $("state").className = "state " + look[0];
    setText($("state-word"), tr(look[1]));
    setText($("cue"), f.cue_key ? tr("cue." + f.cue_key) : "");
    var kind = view.render(f);
    $("g-hold").hidden = kind === "rep";
    if (kind !== "rep" && f.hold) {
      var target_s = f.hold.target_s;
      var elapsed = f.hold.state === "idle" ? 0 : f.hold.elapsed_s;
      $("hold-fill").style.width = Math.min(100, 100 * elapsed / target_s).toFixed(1) + "%";
      $("hold-bar").setAttribute("aria-valuenow", elapsed.toFixed(1));
      $("g-hold").className = "hold hold-" + f.hold.state + (elapsed >= target_s ? " hold-complete" : "");
      setText($("hold-time"), tr("live.hold.time", { elapsed: fmt(elapsed, 1), target: fmt(target_s, 1, 0) }));
    }
    var set = f.set || {};
    setText($("reps"), tr("live.reps.count", { correct: set.correct || 0, target: set.rep_target || 0 }));
    setText($("attempted"), tr("live.reps.attempted", { attempted: set.attempted || 0 }));
    var lastEl = $("last-hold");
    if (kind === "rep") {
      setText($("last-label"), tr("rep.last.label") + ":");
      setText(lastEl, f.last_rep ? view.verdict(f.last_rep) : tr("rep.last.none"));
      lastEl.className = f.last_rep ? f.last_rep.outcome : "";
    } else {
      setText($("last-label"), tr("live.last_hold.label") + ":");
      var h = f.last_hold;
      setText(lastEl, h ? tr("live.last_hold.text", {
        outcome: tr("outcome." + h.outcome), duration: fmt(h.duration_s, 1), score: fmt(h.score, 0)
      }) + view.bandSuffix(h) : tr("live.last_hold.none"));
      lastEl.className = h ? h.outcome : "";
    }
  }
  // With two insoles, one button per foot: its count always in view, the card in full
  // for the chosen one.
  function renderFeet() {
    var box = $("g-feet");
    box.hidden = !feet;
    if (!feet) { return; }
    Array.prototype.forEach.call(box.querySelectorAll("button"), function (button) {
      var side = button.dataset.foot, set = (feet[side] && feet[side].set) || {};
      setText(button, tr("guided.foot_count", {
        foot: tr("foot." + side), correct: set.correct || 0, target: set.rep_target || 0
      }));
      button.setAttribute("aria-pressed", side === shownFoot ? "true" : "false");
    });
  }
  function pickFrame() {
    frame = feet ? (feet[shownFoot] || feet[shownFoot === "left" ? "right" : "left"] || null) : frame;
  }
  Array.prototype.forEach.call($("g-feet").querySelectorAll("button"), function (button) {
    button.addEventListener("click", function () {
      shownFoot = button.dataset.foot;
      pickFrame();
      schedule();
    });
  });
  var dirty = false;
  function schedule() {
    if (!dirty) {
      dirty = true;
      window.requestAnimationFrame(function () { dirty = false; renderFrame(); });
    }
  }

  // ---- Stream -------------------------------------------------------------------------------
  var banners = new shared.Banners(tr, texts);
  function connect() {
    var source = new EventSource("/api/stream");
    function on(kind, handler) {
      source.addEventListener(kind, function (event) { handler(JSON.parse(event.data)); });
    }
    source.addEventListener("open", function () { banners.setConnected(true); load(); });
    source.addEventListener("error", function () {
      banners.setConnected(false);
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        window.setTimeout(connect, RECONNECT_MS);
      }
    });
    on("frame", function (data) {
      // Two insoles: the card shows the chosen foot (the other while it is silent).
      feet = data.feet || null;
      if (feet) { pickFrame(); } else { frame = data; }
      schedule();
    });
    on("guided", applyState);
    on("status", function (data) { banners.setConnected(true); banners.setStatus(data); });
    on("rep_ended", function (data) {
      if (!state || !state.set.running) { return; }
      say(data.outcome === "correct" ? fmt(data.correct, 0) : tr("rep.speech.lost"));
    });
    on("hold_ended", function (data) {
      if (state && state.set.running && data.outcome === "correct") { say(fmt(data.correct, 0)); }
    });
    on("set_done", function () {
      if (state && state.set.running) { say(tr("guided.say.set_done")); }
    });
  }

  // ---- Controls -----------------------------------------------------------------------------
  var messageTimer = null;
  function message(text) {
    var el = $("message");
    el.textContent = text;
    el.classList.add("error");
    window.clearTimeout(messageTimer);
    messageTimer = window.setTimeout(function () { el.textContent = ""; }, MESSAGE_MS);
  }
  function act(url, body) {
    shared.post(url, body).then(applyState, function (err) {
      message(tr("guided.msg.failed", { message: err.message }));
      load();  // another tablet may have moved on: show where the session is now
    });
  }
  $("g-primary").addEventListener("click", function () {
    var stage = state && state.active ? state.stage : null;
    if (!stage || stage.kind === "done") {
      act("/api/guided/start");
    } else if (stage.kind === "set" && state.set.running) {
      shared.post("/api/set/stop").then(load, function (err) {
        message(tr("guided.msg.failed", { message: err.message }));
      });
    } else if (stage.kind === "set") {
      // No foot: the device takes the current runner's (or the settings') foot.
      act("/api/guided/set/start", { stage: state.position });
    } else {
      act("/api/guided/advance", { stage: state.position });
    }
  });
  $("g-secondary").addEventListener("click", function () {
    act("/api/guided/advance", { stage: state.position });
  });
  $("g-end").addEventListener("click", function () { act("/api/guided/end"); });

  load();
  connect();
}());
