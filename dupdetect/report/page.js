/* dupdetect report: draws the story cards from the embedded JSON, a page at a time.
   Every title and text is set with textContent (never as markup): they are untrusted. */
(function () {
  "use strict";
  var t0 = performance.now();
  var D = JSON.parse(document.getElementById("dupdetect-data").textContent);
  var parseMs = performance.now() - t0;
  var PAGE = 25, MEMBERS = 5, SINGLES = 200;
  var REL = { first: "first report", copy: "copy", rewrite: "rewrite", "same event": "same event" };
  var BASIS = {
    published: "by publication time",
    "input order": "by input order: no publication dates",
    mixed: "by publication time; undated members follow in input order"
  };
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function bdi(text, cls, dir) { var e = el("bdi", cls, text); e.dir = dir || "auto"; return e; }
  // the page's own words are English: isolated left-to-right runs inside a right-to-left page
  function en(text, cls) { return bdi(text, cls, "ltr"); }
  function say(id, text) { var box = $(id); box.textContent = ""; box.appendChild(en(text)); }
  function num(n) { return Number(n).toLocaleString("en"); }
  function fmtTime(t) { return new Date(t * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC"; }
  function timeEl(t) {
    var e = el("time", "time", fmtTime(t));
    e.dateTime = new Date(t * 1000).toISOString();
    return e;
  }
  function fmtDur(s) {
    if (s < 60) return Math.round(s) + " s";
    if (s < 3600) return Math.round(s / 60) + " min";
    if (s < 86400) return (s / 3600).toFixed(1).replace(/\.0$/, "") + " h";
    return (s / 86400).toFixed(1).replace(/\.0$/, "") + " d";
  }
  function relClass(r) { return r ? r.replace(/ /g, "-") : "none"; }
  function outletName(i) { return i >= 0 ? D.outlets[i] : ""; }
  function fact(label, value) {
    var e = en(label + " ");
    e.appendChild(el("b", null, value));
    return e;
  }

  // search: case-folded, Arabic diacritics and tatweel dropped, common letter variants unified
  function norm(s) {
    return String(s).toLowerCase()
      .replace(/[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640\u200b-\u200f]/g, "")
      .replace(/[\u0622\u0623\u0625\u0671]/g, "\u0627").replace(/\u0649/g, "\u064a")
      .replace(/\u0629/g, "\u0647");
  }
  function storyText(s) {
    if (s._q === undefined) {
      var parts = [];
      s.members.forEach(function (m) {
        parts.push(m.title, m.id, outletName(m.outlet));
        m.text.forEach(function (p) { parts.push(p[0]); });
      });
      s._q = norm(parts.join(" "));
    }
    return s._q;
  }
  function singleText(r) {
    if (r[5] === undefined) r[5] = norm(r[0] + " " + r[1] + " " + outletName(r[2]));
    return r[5];
  }

  var state = { terms: [], outlet: -1, min: 2, from: null, to: null, sort: "size", shown: PAGE, singles: SINGLES };
  D.stories.forEach(function (s, i) { s._i = i; });

  function inDates(start, end) {
    if (state.from === null && state.to === null) return true;
    if (start === null) return false;
    if (state.from !== null && end < state.from) return false;
    if (state.to !== null && start >= state.to) return false;
    return true;
  }
  function hasTerms(text) {
    for (var i = 0; i < state.terms.length; i++) if (text.indexOf(state.terms[i]) < 0) return false;
    return true;
  }
  function keepStory(s) {
    if (s.size < state.min) return false;
    if (state.outlet >= 0 && !s.outlets.some(function (o) { return o[0] === state.outlet; })) return false;
    if (!inDates(s.start, s.end)) return false;
    return !state.terms.length || hasTerms(storyText(s));
  }
  function keepSingle(r) {
    if (state.outlet >= 0 && r[2] !== state.outlet) return false;
    if (!inDates(r[3], r[3])) return false;
    return !state.terms.length || hasTerms(singleText(r));
  }
  function order(list) {
    if (state.sort === "size") return list; // the data's order: largest first
    var newest = state.sort === "newest";
    return list.slice().sort(function (a, b) {
      var ka = newest ? a.end : a.start, kb = newest ? b.end : b.start;
      if (ka === null || kb === null) return (ka === null) - (kb === null) || a._i - b._i;
      return (newest ? kb - ka : ka - kb) || a._i - b._i;
    });
  }

  function timeline(s) {
    var box = el("div", "timeline");
    if (s.start === null) return null;
    if (s.end === s.start) {
      var same = en("all dated members published at ", "facts");
      same.appendChild(timeEl(s.start));
      box.appendChild(same);
      return box;
    }
    var track = el("div", "track");
    track.setAttribute("role", "img");
    track.setAttribute("aria-label", "timeline of the members");
    s.members.forEach(function (m, k) {
      if (m.t === null) return;
      var dot = el("span", "dot rel-" + relClass(m.rel));
      dot.style.insetInlineStart = (100 * (m.t - s.start) / (s.end - s.start)).toFixed(2) + "%";
      dot.title = "#" + (k + 1) + " " + (REL[m.rel] || "") + " · " + outletName(m.outlet) + " · " + fmtTime(m.t);
      track.appendChild(dot);
    });
    box.appendChild(track);
    var ends = el("div", "ends");
    ends.appendChild(timeEl(s.start));
    ends.appendChild(timeEl(s.end));
    box.appendChild(ends);
    return box;
  }

  function excerpt(m) {
    var p = el("p", "excerpt");
    p.dir = "auto";
    m.text.forEach(function (piece) {
      if (piece[1] === 1) p.appendChild(el("mark", null, piece[0]));
      else if (piece[1] === 2) p.appendChild(el("span", "gap", piece[0]));
      else p.appendChild(document.createTextNode(piece[0]));
    });
    return p;
  }

  function member(s, m, k) {
    var li = el("li", "member is-" + relClass(m.rel));
    var head = el("div", "head");
    head.appendChild(en("#" + (k + 1)));
    if (m.rel) head.appendChild(en(REL[m.rel] || m.rel, "rel rel-" + relClass(m.rel)));
    if (m.like !== null) {
      head.appendChild(en((m.rel === "same event" ? "as #" : "of #") + (m.like + 1) +
        " (similarity " + m.sim.toFixed(2) + ")"));
    }
    if (k === s.rep) head.appendChild(en("★ representative", "star"));
    head.appendChild(fact("score", m.flag ? "–" : m.score.toFixed(3)));
    if (m.outlet >= 0) head.appendChild(bdi(outletName(m.outlet), "outlet"));
    if (m.t !== null) head.appendChild(timeEl(m.t));
    if (m.after !== null && k > 0) head.appendChild(el("span", "time", "+" + fmtDur(m.after)));
    if (m.shared !== null) head.appendChild(en(Math.round(100 * m.shared) + "% of it in passages shared with ★"));
    head.appendChild(bdi(m.id, "id", "ltr"));
    li.appendChild(head);
    var title = el("p", "title", m.title || "(no title)");
    title.dir = "auto";
    li.appendChild(title);
    if (m.text.length) li.appendChild(excerpt(m));
    if (m.flag) li.appendChild(el("p", "flag", m.flag));
    return li;
  }

  function card(s) {
    var rep = s.members[s.rep], first = s.members[0];
    var art = el("article", "story");
    art.id = "story-" + s.id;
    var h = el("h2", null, rep.title || rep.id);
    h.dir = "auto";
    art.appendChild(h);
    var facts = el("div", "facts");
    facts.appendChild(fact("articles", num(s.size)));
    facts.appendChild(fact("cohesion", s.cohesion.toFixed(3)));
    facts.appendChild(fact("outlets", num(s.outlets.length)));
    if (s.start !== null) facts.appendChild(fact("time spread", s.end > s.start ? fmtDur(s.end - s.start) : "0"));
    var f = en("first report: ");
    f.appendChild(bdi(outletName(first.outlet) || first.id, first.outlet >= 0 ? "outlet" : "id"));
    if (first.t !== null) { f.appendChild(document.createTextNode(" ")); f.appendChild(timeEl(first.t)); }
    f.appendChild(document.createTextNode(" (" + BASIS[s.basis] + ")"));
    facts.appendChild(f);
    art.appendChild(facts);
    var chips = el("ul", "chips");
    s.outlets.forEach(function (o) {
      var c = el("li", "chip");
      c.appendChild(bdi(outletName(o[0])));
      c.appendChild(document.createTextNode(" "));
      c.appendChild(en("×" + o[1]));
      chips.appendChild(c);
    });
    if (s.outlets.length) art.appendChild(chips);
    var tl = timeline(s);
    if (tl) art.appendChild(tl);
    var list = el("ol", "members");
    var upto = Math.min(s.members.length, MEMBERS);
    for (var k = 0; k < upto; k++) list.appendChild(member(s, s.members[k], k));
    art.appendChild(list);
    if (s.members.length > upto) {
      var more = el("button", "all", "show all " + num(s.members.length) + " members");
      more.dir = "ltr";
      more.type = "button";
      more.addEventListener("click", function () {
        for (var j = upto; j < s.members.length; j++) list.appendChild(member(s, s.members[j], j));
        more.remove();
      });
      art.appendChild(more);
    }
    return art;
  }

  var filtered = [];
  function render() {
    filtered = order(D.stories.filter(keepStory));
    var box = $("stories");
    box.textContent = "";
    var page = filtered.slice(0, state.shown);
    page.forEach(function (s) { box.appendChild(card(s)); });
    if (!filtered.length) box.appendChild(el("p", "empty", "no story matches"));
    var shown = page.length;
    var articles = filtered.reduce(function (a, s) { return a + s.size; }, 0);
    say("count", "showing " + num(shown) + " of " + num(filtered.length) + " stories (" +
      num(articles) + " articles)" + (filtered.length < D.stories.length ? "; " + num(D.stories.length) + " in all" : ""));
    var more = $("more");
    more.hidden = shown >= filtered.length;
    more.textContent = "show " + num(Math.min(PAGE, filtered.length - shown)) + " more stories";
    renderSingles();
  }

  function renderSingles() {
    var det = $("singles");
    if (!D.singles_total) return;
    det.hidden = false;
    var rows = D.singles.filter(keepSingle);
    var total = D.singles_total === D.singles.length ? "" : " (" + num(D.singles.length) + " listed)";
    say("singles-summary", num(D.singles_total) + (D.singles_total === 1 ? " article" : " articles") +
      " in no story (singletons)" + total +
      (rows.length < D.singles.length ? "; " + num(rows.length) + " match the filters" : ""));
    if (!det.open) return;
    var list = $("singles-list");
    list.textContent = "";
    rows.slice(0, state.singles).forEach(function (r) {
      var li = el("li");
      var t = bdi(r[1] || "(no title)");
      li.appendChild(t);
      var meta = el("span", "meta");
      if (r[2] >= 0) { meta.appendChild(bdi(outletName(r[2]), "outlet")); meta.appendChild(document.createTextNode(" ")); }
      if (r[3] !== null) { meta.appendChild(timeEl(r[3])); meta.appendChild(document.createTextNode(" ")); }
      meta.appendChild(bdi(r[0], "id", "ltr"));
      if (r[4]) { meta.appendChild(document.createTextNode(" ")); meta.appendChild(en(r[4], "flag")); }
      li.appendChild(meta);
      list.appendChild(li);
    });
    $("singles-more").hidden = rows.length <= state.singles;
  }

  function dayStart(value) { return value ? Date.parse(value + "T00:00:00Z") / 1000 : null; }
  function readFilters() {
    state.terms = norm($("q").value).split(/\s+/).filter(Boolean);
    state.outlet = parseInt($("outlet").value, 10);
    state.min = Math.max(2, parseInt($("minsize").value, 10) || 2);
    state.from = dayStart($("from").value);
    var to = dayStart($("to").value);
    state.to = to === null ? null : to + 86400;
    state.sort = $("sort").value;
    state.shown = PAGE;
    state.singles = SINGLES;
    render();
  }

  function setup() {
    document.title = D.title;
    say("summary", D.summary + " · threshold " + D.settings.threshold);
    var counts = {};
    D.stories.forEach(function (s) { s.outlets.forEach(function (o) { counts[o[0]] = (counts[o[0]] || 0) + 1; }); });
    var sel = $("outlet");
    D.outlets.map(function (name, i) { return i; })
      .sort(function (a, b) { return D.outlets[a].localeCompare(D.outlets[b]); })
      .forEach(function (i) {
        var o = el("option", null, D.outlets[i] + " (" + num(counts[i] || 0) + " stories)");
        o.value = String(i);
        sel.appendChild(o);
      });
    var times = [];
    D.stories.forEach(function (s) { if (s.start !== null) times.push(s.start, s.end); });
    if (times.length) {
      var lo = new Date(Math.min.apply(null, times) * 1000).toISOString().slice(0, 10);
      var hi = new Date(Math.max.apply(null, times) * 1000).toISOString().slice(0, 10);
      ["from", "to"].forEach(function (id) { $(id).min = lo; $(id).max = hi; });
    }
    var timer = null;
    $("filters").addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(readFilters, 120); });
    $("filters").addEventListener("submit", function (e) { e.preventDefault(); readFilters(); });
    $("more").addEventListener("click", function () {
      var box = $("stories");
      filtered.slice(state.shown, state.shown + PAGE).forEach(function (s) { box.appendChild(card(s)); });
      state.shown += PAGE;
      var more = $("more");
      more.hidden = state.shown >= filtered.length;
      say("count", $("count").textContent.replace(/^showing [\d,]+/, "showing " + num(Math.min(state.shown, filtered.length))));
    });
    $("singles").addEventListener("toggle", renderSingles);
    $("singles-more").addEventListener("click", function () { state.singles += SINGLES; renderSingles(); });
    document.addEventListener("keydown", function (e) {
      var tag = document.activeElement && document.activeElement.tagName;
      if (e.key === "/" && tag !== "INPUT" && tag !== "SELECT") { e.preventDefault(); $("q").focus(); }
    });
    if (D.errors_total) {
      $("errors").hidden = false;
      say("errors-summary", num(D.errors_total) + " inputs could not be used");
      D.errors.forEach(function (e) {
        var li = el("li");
        li.appendChild(bdi(e[0], "id", "ltr"));
        li.appendChild(document.createTextNode(": "));
        li.appendChild(bdi(e[1]));
        $("errors-list").appendChild(li);
      });
    }
    say("legend", "Members are listed in the order the story was reported. Relation to the " +
      "earlier member each one resembles most: copy (similarity ≥ " + D.settings.copy_min + "), rewrite (≥ " +
      D.settings.rewrite_min + "), same event (below). Highlighted: passages of 4+ words a member shares with " +
      "the representative ★ (the member closest to the others). Score: a member's mean similarity to the " +
      "other members; cohesion: the mean over all member pairs.");
  }

  setup();
  var preset = /^#q=(.*)$/.exec(location.hash); // file:///…/stories.html#q=words opens a search
  if (preset) {
    try { $("q").value = decodeURIComponent(preset[1]); } catch (err) { $("q").value = preset[1]; }
  }
  readFilters();
  // from navigation start: to this script (the file read and parsed), JSON.parse, first cards
  document.documentElement.setAttribute("data-start-ms", t0.toFixed(1));
  document.documentElement.setAttribute("data-parse-ms", parseMs.toFixed(1));
  document.documentElement.setAttribute("data-render-ms", (performance.now() - t0).toFixed(1));
})();
