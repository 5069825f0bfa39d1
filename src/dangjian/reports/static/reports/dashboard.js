/* Dangjian dashboards: draws the figures of reports.dashboard.dashboard_data with ECharts (and Leaflet for grids
 * with boundaries) on the home dashboard and on the 大屏. Every figure links to the list of records behind it.
 *
 * DJDash.init({data, dataUrl, mapUrl, exportUrl, params, dark, refresh, hasBoundaries}):
 *   data: the initial figures (json_script); dataUrl: the JSON endpoint; params: {scope, month, rank, map};
 *   refresh: seconds between refetches (0: none); dark: the 大屏 colours.
 */
(function () {
  "use strict";

  const LIGHT = {
    text: "#333", muted: "#777", axis: "#ccc", split: "#eee", tooltip: "#fff", tooltipText: "#333",
    palette: ["#b71c1c", "#e65100", "#f9a825", "#2e7d32", "#1565c0", "#6a1b9a", "#00838f", "#8d6e63", "#546e7a", "#ad1457"],
    male: "#1565c0", female: "#c2185b", bar: "#b71c1c", bar2: "#f57c00", line: "#1565c0",
  };
  const DARK = {
    text: "#d8e6ff", muted: "#8fa8cc", axis: "rgba(140,180,255,.35)", split: "rgba(140,180,255,.12)",
    tooltip: "rgba(8,24,58,.95)", tooltipText: "#e8f0ff",
    palette: ["#ff5252", "#ffab40", "#ffd740", "#69f0ae", "#40c4ff", "#b388ff", "#18ffff", "#ff80ab", "#a7ffeb", "#ccff90"],
    male: "#40a9ff", female: "#ff6fa8", bar: "#ff5252", bar2: "#ffab40", line: "#40c4ff",
  };
  const HEAT_LIGHT = ["#f1f8e9", "#fff3e0", "#ffcc80", "#ff9800", "#b71c1c"];
  const HEAT_DARK = ["rgba(64,196,255,.10)", "#1e6091", "#f9a825", "#ef6c00", "#d32f2f"];

  let T = LIGHT;
  let cfg = {};
  const charts = {};
  let state = {};
  let leaflet = null;

  // ---- helpers ------------------------------------------------------------------------------------------------
  const $ = (id) => document.getElementById(id);
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const num = (v) => (v == null ? 0 : v);
  const go = (url) => { if (url) window.location.href = url; };
  const big = () => !!cfg.dark;
  const fs = (n) => (big() ? Math.round(n * 1.25) : n);

  function chart(id) {
    const el = $(id);
    if (!el) return null;
    if (!charts[id]) {
      charts[id] = echarts.init(el, null, { renderer: "canvas" });
      charts[id].on("click", (p) => go(p.data && p.data.url));
    }
    return charts[id];
  }

  function base(extra) {
    return Object.assign({
      backgroundColor: "transparent",
      color: T.palette,
      textStyle: { color: T.text, fontFamily: "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif", fontSize: fs(12) },
      tooltip: { backgroundColor: T.tooltip, borderColor: T.axis, textStyle: { color: T.tooltipText, fontSize: fs(12) }, confine: true },
      animationDuration: 600,
    }, extra);
  }

  function empty(id, text) {
    const c = chart(id);
    if (!c) return;
    c.clear();
    c.setOption(base({ title: { text: text || "暂无数据", left: "center", top: "middle", textStyle: { color: T.muted, fontSize: fs(13), fontWeight: "normal" } } }));
  }

  // “待整改问题（违规）” → “违规” in legends and axes
  const short = (label) => label.replace(/^.+（(.+)）$/, "$1");
  const item = (f, extra) => Object.assign({ name: short(f.label), value: f.value == null ? null : f.value, url: f.url, display: f.display }, extra || {});
  const pct = (v) => (v == null ? "—" : (v * 100).toFixed(1) + "%");

  // ---- headline cards -----------------------------------------------------------------------------------------
  function arrow(card, which) {
    const delta = card[which + "_delta"], ratio = card[which + "_ratio"], dir = card[which + "_dir"];
    const name = which === "mom" ? "环比" : "同比";
    if (delta == null) return `<span class="dj-chg dj-chg-none">${name} —</span>`;
    let text;
    if (card.is_rate) text = (Math.abs(delta) * 100).toFixed(1) + "个百分点";
    else if (ratio != null) text = (Math.abs(ratio) * 100).toFixed(1) + "%";
    else text = Math.abs(delta).toLocaleString("zh-CN") + card.unit;
    const good = dir === "flat" ? "" : ((dir === "up") !== !!card.lower_is_better ? "good" : "bad");
    const sign = dir === "up" ? "▲" : dir === "down" ? "▼" : "—";
    const title = `${name}：上期 ${card[which === "mom" ? "previous" : "year_ago"] == null ? "—" : (card.is_rate ? pct(card[which === "mom" ? "previous" : "year_ago"]) : card[which === "mom" ? "previous" : "year_ago"])}`;
    return `<span class="dj-chg dj-chg-${good}" title="${esc(title)}" data-dir="${dir}">${name} ${sign} ${esc(dir === "flat" ? "持平" : text)}</span>`;
  }

  function cards(data) {
    const el = $("dj-cards");
    if (!el) return;
    el.innerHTML = data.cards.map((c) => {
      const frac = !c.is_rate ? "" : big()
        ? `<div class="dj-fraction" title="${esc(c.num_label)} / ${esc(c.den_label)}">${esc(c.num_display)} / ${esc(c.den_display)}</div>`
        : `<div class="dj-fraction">${esc(c.num_label)} ${esc(c.num_display)} / ${esc(c.den_label)} ${esc(c.den_display)}</div>`;
      const value = esc(c.display);
      const tag = c.url ? "a" : "div";
      return `<div class="dj-card-col"><${tag} class="dj-kpi" ${c.url ? `href="${esc(c.url)}"` : ""} data-key="${esc(c.key)}" title="${esc(c.help || c.label)}">
        <div class="dj-kpi-label">${esc(c.label)}</div><div class="dj-kpi-value">${value}</div>${frac}
        <div class="dj-kpi-chg">${arrow(c, "mom")}${arrow(c, "yoy")}</div></${tag}></div>`;
    }).join("");
  }

  // ---- members ------------------------------------------------------------------------------------------------
  function donut(id, figs, colors) {
    const c = chart(id);
    if (!c) return;
    const rows = (figs || []).filter((f) => f.value);
    if (!rows.length) return empty(id);
    // a narrow panel: the names go on the labels instead of a legend that would page
    const width = $(id).clientWidth;
    const narrow = !big() && width < 230;
    const tiny = big() && width < 230;  // the 大屏's severity donut: the legend names the slices, no labels
    c.setOption(base({
      tooltip: Object.assign(base().tooltip, { trigger: "item", formatter: (p) => `${esc(p.name)}：${esc(p.data.display)}（${p.percent}%）` }),
      legend: { show: !narrow, bottom: 0, textStyle: { color: T.text, fontSize: fs(11) }, itemWidth: 10, itemHeight: 10, type: "scroll", pageTextStyle: { color: T.text } },
      color: colors || T.palette,
      series: [{
        type: "pie", radius: narrow ? ["30%", "48%"] : tiny ? ["40%", "64%"] : big() ? ["30%", "50%"] : ["36%", "58%"], center: ["50%", narrow ? "50%" : "45%"], avoidLabelOverlap: true, minShowLabelAngle: 4,
        label: { show: !tiny, color: T.text, fontSize: fs(11), overflow: "none", formatter: (p) => (narrow ? `${p.name}\n` : "") + `${p.percent.toFixed(1)}%` },
        labelLine: { show: !tiny, length: 6, length2: 6 },
        data: rows.map((f) => item(f)),
      }],
    }), true);
  }

  function hbar(id, figs, opts) {
    const c = chart(id);
    if (!c) return;
    opts = opts || {};
    const rows = (figs || []).filter((f) => opts.keepZero || f.value);
    if (!rows.length) return empty(id);
    const rate = rows.some((f) => f.is_rate);
    c.setOption(base({
      grid: { left: 8, right: rate ? 56 : 52, top: 6, bottom: 4, containLabel: true },
      tooltip: Object.assign(base().tooltip, { trigger: "item", formatter: (p) => `${esc(p.name)}：${esc(p.data.display)}` }),
      xAxis: { type: "value", show: false, max: rate ? 1 : null },
      yAxis: { type: "category", inverse: true, data: rows.map((f) => short(f.label)), axisTick: { show: false }, axisLine: { lineStyle: { color: T.axis } },
        axisLabel: { color: T.text, fontSize: fs(11), width: opts.labelWidth || (big() ? 190 : 120), overflow: "truncate", interval: 0 } },
      series: [{
        type: "bar", barMaxWidth: big() ? 16 : 14, itemStyle: { color: opts.color || T.bar, borderRadius: [0, 3, 3, 0] },
        label: { show: true, position: "right", color: T.text, fontSize: fs(11), formatter: (p) => p.data.display.replace(/人|个|件$/, "") },
        data: rows.map((f) => item(f)),
      }],
    }), true);
  }

  function pyramid(id, members) {
    const c = chart(id);
    if (!c) return;
    if (!members.pyramid) {  // the members app registers no gender × age counts: age bands alone
      return hbar(id, members.age, { color: T.line, keepZero: true });
    }
    const bands = members.pyramid.map((r) => r.band);
    // the same scale on both sides, so the two halves compare (and the labels do not crowd one side)
    const top = Math.max(0, ...members.pyramid.map((r) => Math.max(num(r.male.value), num(r.female.value))));
    const side = top ? { min: -top, max: top } : {};
    c.setOption(base({
      legend: { top: 0, textStyle: { color: T.text, fontSize: fs(11) }, data: ["男", "女"], itemWidth: 10, itemHeight: 10 },
      grid: { left: 8, right: 8, top: 24, bottom: 4, containLabel: true },
      tooltip: Object.assign(base().tooltip, { trigger: "item", formatter: (p) => `${esc(p.name)} ${p.seriesName}：${esc(p.data.display)}` }),
      xAxis: Object.assign({ type: "value", splitNumber: 4, axisLabel: { color: T.muted, fontSize: fs(10), hideOverlap: true, formatter: (v) => Math.abs(v) }, splitLine: { lineStyle: { color: T.split } } }, side),
      yAxis: { type: "category", data: bands, axisTick: { show: false }, axisLine: { lineStyle: { color: T.axis } }, axisLabel: { color: T.text, fontSize: fs(11) } },
      series: [
        { name: "男", type: "bar", stack: "age", barMaxWidth: 14, itemStyle: { color: T.male },
          data: members.pyramid.map((r) => Object.assign(item(r.male), { name: r.band, value: -num(r.male.value) })) },
        { name: "女", type: "bar", stack: "age", barMaxWidth: 14, itemStyle: { color: T.female },
          data: members.pyramid.map((r) => Object.assign(item(r.female), { name: r.band })) },
      ],
    }), true);
  }

  // ---- organisations, coverage ----------------------------------------------------------------------------------
  function progress(id, figs) {
    const el = $(id);
    if (!el) return;
    if (!figs || !figs.length) { el.innerHTML = '<div class="dj-muted">暂无数据</div>'; return; }
    el.innerHTML = figs.map((f) => {
      const width = f.value == null ? 0 : Math.max(0, Math.min(100, f.value * 100));
      const frac = f.is_rate ? `${esc(f.num_display)} / ${esc(f.den_display)}` : "";
      const tag = f.url ? "a" : "div";
      return `<${tag} class="dj-progress-row" ${f.url ? `href="${esc(f.url)}"` : ""} data-key="${esc(f.key)}" title="${esc(f.is_rate ? f.num_label + " / " + f.den_label : f.label)}">
        <div class="dj-progress-head"><span>${esc(f.label)}</span><strong>${esc(f.display)}</strong></div>
        <div class="dj-progress"><div class="dj-progress-bar" style="width:${width}%"></div></div>
        <div class="dj-fraction">${frac}</div></${tag}>`;
    }).join("");
  }

  function chips(id, figs) {
    const el = $(id);
    if (!el) return;
    el.innerHTML = (figs || []).map((f) => {
      const tag = f.url ? "a" : "div";
      return `<${tag} class="dj-chip" ${f.url ? `href="${esc(f.url)}"` : ""} data-key="${esc(f.key)}" title="${esc(f.help || f.label)}"><span>${esc(f.label)}</span><strong>${esc(f.display)}</strong></${tag}>`;
    }).join("");
  }

  // ---- tickets ----------------------------------------------------------------------------------------------------
  function funnel(id, figs) {
    const c = chart(id);
    if (!c) return;
    if (!figs || !figs.length || !figs[0].value) return empty(id, "本月暂无派单");
    const top = Math.max(...figs.map((f) => num(f.value)), 1);
    c.setOption(base({
      tooltip: Object.assign(base().tooltip, { trigger: "item", formatter: (p) => `${esc(p.name)}：${esc(p.data.display)}` }),
      color: big() ? ["#ff5252", "#ff7043", "#ffab40", "#ffd740", "#69f0ae"] : ["#b71c1c", "#d84315", "#f57c00", "#fbc02d", "#7cb342"],
      series: [{
        type: "funnel", left: "8%", width: "84%", top: 6, bottom: 6, sort: "none", minSize: "28%", max: top, gap: 2,
        label: { position: "inside", color: "#fff", fontWeight: "bold", fontSize: fs(12), formatter: (p) => `${p.name} ${p.data.display}` },
        data: figs.map((f) => item(f)),
      }],
    }), true);
  }

  function rates(id, figs) {
    progress(id, figs);
  }

  function trendChart(id, rows) {
    const c = chart(id);
    if (!c) return;
    if (!rows || !rows.length) return empty(id);
    c.setOption(base({
      legend: { top: 0, textStyle: { color: T.text, fontSize: fs(11) }, itemWidth: 12, itemHeight: 8 },
      grid: { left: 8, right: 8, top: 28, bottom: 4, containLabel: true },
      tooltip: Object.assign(base().tooltip, { trigger: "axis", valueFormatter: (v) => (v == null ? "—" : v) }),
      xAxis: { type: "category", data: rows.map((r) => r.label), axisLine: { lineStyle: { color: T.axis } }, axisLabel: { color: T.text, fontSize: fs(10), interval: 0, hideOverlap: true } },
      yAxis: [
        { type: "value", name: "件", nameTextStyle: { color: T.muted }, axisLabel: { color: T.muted, fontSize: fs(10) }, splitLine: { lineStyle: { color: T.split } } },
        { type: "value", name: "受理率", min: 0, max: 100, nameTextStyle: { color: T.muted }, axisLabel: { color: T.muted, fontSize: fs(10), formatter: "{value}%" }, splitLine: { show: false } },
      ],
      series: [
        { name: "流转", type: "bar", barMaxWidth: 14, itemStyle: { color: T.bar }, data: rows.map((r) => r["tickets.dispatched"]) },
        { name: "办结", type: "bar", barMaxWidth: 14, itemStyle: { color: T.bar2 }, data: rows.map((r) => r["tickets.closed"]) },
        { name: "受理率", type: "line", yAxisIndex: 1, smooth: true, symbolSize: 5, itemStyle: { color: T.line },
          data: rows.map((r) => (r["tickets.acceptance_rate"] == null ? null : +(r["tickets.acceptance_rate"] * 100).toFixed(1))) },
      ],
    }), true);
  }

  // ---- checkup ----------------------------------------------------------------------------------------------------
  function checkup(data) {
    const ck = data.checkup;
    if (!ck) {
      if ($("dj-severity")) empty("dj-severity", "无体检数据");
      if ($("dj-rules")) empty("dj-rules", "无体检数据");
      return;
    }
    const open = $("dj-checkup-open");
    if (open) open.innerHTML = ck.open ? `<a href="${esc(ck.open.url || "#")}" data-key="checkup.open">${esc(ck.open.display)}</a>` : "—";
    donut("dj-severity", ck.severity, big() ? ["#ff5252", "#ffab40", "#40c4ff"] : ["#c62828", "#ef6c00", "#1565c0"]);
    const c = chart("dj-rules");
    if (!c) return;
    if (!ck.rules.length) return empty("dj-rules", "没有待整改问题");
    hbar("dj-rules", ck.rules, { color: big() ? "#ffab40" : "#ef6c00" });
  }

  // ---- ranking ----------------------------------------------------------------------------------------------------
  let sortKey = "rank", sortDesc = false;

  function ranking(data) {
    const r = data.ranking;
    const el = $("dj-ranking");
    if (!r) { if (el) el.innerHTML = '<div class="dj-muted p-3">没有下级</div>'; return; }
    const sel = $("dj-rank-metric");
    if (sel) fillSelect(sel, data.options, r.metric, null);
    const exp = $("dj-rank-export");
    if (exp) { exp.href = cfg.exportUrl + "?" + query({ rank: r.metric }); exp.hidden = !(cfg.exportTrees || []).includes(r.tree); }
    if (el) {
      const rows = r.rows.slice().sort((a, b) => {
        const av = a[sortKey], bv = b[sortKey];
        if (av == null && bv == null) return 0;
        if (av == null) return 1;
        if (bv == null) return -1;
        const d = typeof av === "string" ? av.localeCompare(bv, "zh-CN") : av - bv;
        return sortDesc ? -d : d;
      });
      const th = (key, label) => `<th role="button" data-sort="${key}" class="dj-sortable">${esc(label)}${sortKey === key ? (sortDesc ? " ▼" : " ▲") : ""}</th>`;
      const head = `<tr>${th("rank", "排名")}${th("name", "名称")}${th("value", r.label)}${r.is_rate ? th("numerator", r.num_label) + th("denominator", r.den_label) : ""}</tr>`;
      const drill = (row) => (cfg.drill ? `<a href="?${esc(query({ scope: row.code, rank: null, map: null }, true))}" title="查看${esc(row.name)}的看板">${esc(row.name)}</a>` : esc(row.name));
      const body = rows.map((row) => `<tr data-code="${esc(row.code)}"><td>${row.rank == null ? "—" : row.rank}</td><td class="text-nowrap">${drill(row)}</td>
        <td>${row.url ? `<a href="${esc(row.url)}" class="dj-rank-value">${esc(row.display)}</a>` : esc(row.display)}</td>
        ${r.is_rate ? `<td>${row.numerator == null ? "—" : row.numerator}</td><td>${row.denominator == null ? "—" : row.denominator}</td>` : ""}</tr>`).join("");
      el.innerHTML = `<table class="table table-sm table-hover mb-0 align-middle dj-rank-table" data-testid="ranking"><thead>${head}</thead><tbody>${body || `<tr><td colspan="5" class="text-center dj-muted py-3">没有下级</td></tr>`}</tbody></table>`;
      el.querySelectorAll("th[data-sort]").forEach((h) => h.addEventListener("click", () => {
        const k = h.dataset.sort;
        sortDesc = sortKey === k ? !sortDesc : k !== "rank" && k !== "name";
        sortKey = k;
        ranking(data);
      }));
    }
    const c = chart("dj-rankbar");
    if (c) {
      const rows = r.rows.filter((x) => x.value != null).slice(0, 8);
      if (!rows.length) return empty("dj-rankbar", r.rows.length ? "下级暂无数据" : "没有下级");
      c.setOption(base({
        grid: { left: 8, right: 60, top: 4, bottom: 4, containLabel: true },
        tooltip: Object.assign(base().tooltip, { trigger: "item", formatter: (p) => `${esc(p.name)}：${esc(p.data.display)}${p.data.frac}` }),
        xAxis: { type: "value", show: false, max: r.is_rate ? 1 : null },
        yAxis: { type: "category", inverse: true, data: rows.map((x) => x.name), axisTick: { show: false }, axisLine: { lineStyle: { color: T.axis } },
          axisLabel: { color: T.text, fontSize: 13, width: 90, overflow: "truncate", interval: 0 } },
        series: [{ type: "bar", barMaxWidth: 14, itemStyle: { color: new echarts.graphic.LinearGradient(0, 0, 1, 0, [{ offset: 0, color: "rgba(64,196,255,.35)" }, { offset: 1, color: "#40c4ff" }]), borderRadius: [0, 3, 3, 0] },
          label: { show: true, position: "right", color: T.text, fontSize: fs(11), formatter: (p) => p.data.display },
          data: rows.map((x) => ({ name: x.name, value: x.value, display: x.display, url: x.url, frac: r.is_rate ? `（${x.numerator}/${x.denominator}）` : "" })) }],
      }), true);
    }
  }

  function fillSelect(sel, options, current, tree) {
    const key = (tree || "") + "|" + current;
    if (sel.dataset.filled === key) return;
    const groups = {};
    options.filter((o) => !tree || o.tree === tree).forEach((o) => { (groups[o.group] = groups[o.group] || []).push(o); });
    sel.innerHTML = Object.entries(groups).map(([g, os]) => `<optgroup label="${esc(g)}">${os.map((o) => `<option value="${esc(o.key)}"${o.key === current ? " selected" : ""}>${esc(o.label)}</option>`).join("")}</optgroup>`).join("");
    sel.dataset.filled = key;
  }

  // ---- map: Leaflet with boundaries, else the table heat-map -------------------------------------------------------
  function heat(data) {
    const h = data.map;
    const sel = $("dj-map-metric");
    if (sel && h) fillSelect(sel, data.options, h.metric, "region");
    const legend = $("dj-heat-legend");
    const colours = cfg.dark ? HEAT_DARK : HEAT_LIGHT;
    if (legend && h) {
      legend.innerHTML = h.legend.map((l, i) => `<span class="dj-key" style="background:${colours[l.level]}"></span><span class="dj-key-label">${i === 0 ? (h.is_rate ? "0或无" : "0") : "≤" + esc(l.label)}</span>`).join("");
    }
    if (cfg.hasBoundaries) return drawLeaflet();
    if ($("dj-heatmap")) return treemap(h, colours);
    const el = $("dj-heat");
    if (!el) return;
    if (!h || !h.rows.length) { el.innerHTML = '<div class="dj-muted p-3">没有下级区划</div>'; return; }
    const link = (x, inner, cls) => {
      const href = x.drill && cfg.drill ? "?" + query({ scope: x.code }, true) : x.url;
      return href ? `<a class="${cls}" href="${esc(href)}" style="background:${colours[x.level]}" title="${esc(x.name)}：${esc(x.display)}">${inner}</a>`
        : `<span class="${cls}" style="background:${colours[x.level]}" title="${esc(x.name)}：${esc(x.display)}">${inner}</span>`;
    };
    el.innerHTML = `<table class="dj-heat-table" data-testid="heatmap"><tbody>${h.rows.map((r) => `<tr>
      <th class="text-nowrap">${esc(r.name)}</th>
      <td class="dj-heat-total">${link(Object.assign({}, r, { drill: false }), esc(r.display), "dj-heat-cell dj-heat-l" + r.level)}</td>
      <td><div class="dj-heat-cells">${r.cells.map((c) => link(Object.assign({}, c, { drill: false }), `${esc(c.short)} <b>${esc(c.display.replace(/件|个|人$/, ""))}</b>`, "dj-heat-cell dj-heat-l" + c.level)).join("")}</div></td></tr>`).join("")}</tbody></table>`;
  }

  // the 大屏's heat-map without boundaries: every lower place as an equal tile inside its parent's block
  function treemap(h, colours) {
    const c = chart("dj-heatmap");
    if (!h || !h.rows.length) return empty("dj-heatmap", "没有下级区划");
    const leaf = (x) => ({ name: (x.short || x.name).replace(/(村|社区|居委会|网格)$/, "") || x.short, value: 1, url: x.url, display: x.display, full: x.name, level: x.level,
      itemStyle: { color: colours[x.level], borderColor: "rgba(6,22,52,.9)" } });
    const data = h.rows.map((r) => ({
      name: `${r.name} ${r.display}`, value: Math.max(r.cells.length, 1), url: r.url, display: r.display, full: r.name,
      itemStyle: { color: colours[r.level] },
      children: r.cells.length ? r.cells.map(leaf) : undefined,
    }));
    c.setOption(base({
      tooltip: Object.assign(base().tooltip, { formatter: (p) => `${esc(p.data.full || p.name)}：${esc(h.label)} ${esc(p.data.display || "")}` }),
      series: [{
        type: "treemap", left: 0, right: 0, top: 0, bottom: 0, roam: false, nodeClick: false, breadcrumb: { show: false },
        leafDepth: 2, squareRatio: 0.9,
        upperLabel: { show: true, height: 20, color: "#e8f4ff", fontSize: 13, fontWeight: "bold", backgroundColor: "rgba(8,30,72,.92)" },
        label: { show: true, fontSize: 12, lineHeight: 15, color: "#e8f4ff", overflow: "truncate", ellipsis: "", formatter: (p) => (p.data.level ? `${p.name}\n{v|${(p.data.display || "").replace(/件|个|人|次$/, "")}}` : p.name),
          rich: { v: { fontSize: 13, fontWeight: "bold", color: "#fff", lineHeight: 15 } } },
        levels: [
          { itemStyle: { borderColor: "rgba(64,196,255,.45)", borderWidth: 2, gapWidth: 3 } },
          { itemStyle: { borderColor: "rgba(6,22,52,.9)", borderWidth: 1, gapWidth: 1 } },
        ],
        data,
      }],
    }), true);
  }

  function drawLeaflet() {
    const el = $("dj-map");
    if (!el || !window.L) return;
    const colours = cfg.dark ? HEAT_DARK : HEAT_LIGHT;
    fetch(cfg.mapUrl + "?" + query({}), { credentials: "same-origin" }).then((r) => r.json()).then((m) => {
      if (!leaflet) leaflet = L.map(el, { attributionControl: false, zoomControl: !cfg.dark, zoomSnap: 0.25 });
      if (leaflet._djLayer) leaflet.removeLayer(leaflet._djLayer);
      const layer = L.geoJSON({ type: "FeatureCollection", features: m.features }, {
        style: (f) => ({ color: cfg.dark ? "#40c4ff" : "#555", weight: 1, fillOpacity: 0.75, fillColor: colours[f.properties.level] }),
        onEachFeature: (f, l) => {
          l.bindTooltip(`${f.properties.name}：${m.label} ${f.properties.display}`);
          l.on("click", () => go(f.properties.url));
        },
      }).addTo(leaflet);
      leaflet._djLayer = layer;
      if (!leaflet._djFitted && m.features.length) { leaflet.fitBounds(layer.getBounds()); leaflet._djFitted = true; }
      el.dataset.features = m.features.length;
    });
  }

  // ---- state, fetch, refresh ------------------------------------------------------------------------------------
  function query(extra, keepEmpty) {
    const p = Object.assign({}, cfg.params, state, extra);
    const out = new URLSearchParams();
    Object.entries(p).forEach(([k, v]) => { if (v != null && v !== "") out.set(k, v); });
    return out.toString();
  }

  function render(data) {
    cfg.last = data;
    cards(data);
    const m = data.members;
    if (m) {
      donut("dj-status", m.status);
      donut("dj-gender", m.gender, [T.male, T.female]);
      pyramid("dj-age", m);
      hbar("dj-education", m.education, { color: big() ? "#b388ff" : "#6a1b9a" });
      chips("dj-shares", m.shares);
      const total = $("dj-members-total");
      if (total && m.total) total.innerHTML = `<a href="${esc(m.total.url)}" data-key="members.total">${esc(m.total.display)}</a>`;
    } else ["dj-status", "dj-gender", "dj-age", "dj-education"].forEach((id) => $(id) && empty(id, "本范围没有党组织"));
    const o = data.orgs;
    if (!o || !o.kinds) { if ($("dj-orgkinds")) empty("dj-orgkinds", "本范围没有党组织"); }
    if (o) {
      if (o.kinds) hbar("dj-orgkinds", o.kinds, { color: big() ? "#ffd740" : "#c62828" });
      progress("dj-coverage", o.coverage);
      chips("dj-gridorgs", o.grid);
    }
    const t = data.tickets;
    if (t) {
      funnel("dj-funnel", t.funnel);
      rates("dj-rates", t.rates);
      chips("dj-ticket-extra", t.extra);
      trendChart("dj-trend", t.trend);
    } else ["dj-funnel", "dj-trend"].forEach((id) => $(id) && empty(id, "本范围没有区划"));
    checkup(data);
    ranking(data);
    heat(data);
    const stamp = $("dj-updated");
    if (stamp) stamp.textContent = data.generated_at;
    document.body.dataset.djRendered = String(Number(document.body.dataset.djRendered || 0) + 1);
  }

  function refetch() {
    return fetch(cfg.dataUrl + "?" + query({}), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error("HTTP " + r.status))))
      .then((data) => { render(data); const err = $("dj-fetch-error"); if (err) err.hidden = true; })
      .catch(() => { const err = $("dj-fetch-error"); if (err) err.hidden = false; });
  }

  function init(options) {
    cfg = Object.assign({ drill: true }, options);
    T = cfg.dark ? DARK : LIGHT;
    state = { rank: cfg.params.rank || null, map: cfg.params.map || null };
    render(cfg.data);
    const rankSel = $("dj-rank-metric");
    if (rankSel) rankSel.addEventListener("change", () => { state.rank = rankSel.value; refetch(); });
    const mapSel = $("dj-map-metric");
    if (mapSel) mapSel.addEventListener("change", () => { state.map = mapSel.value; refetch(); });
    if (cfg.refresh > 0) setInterval(refetch, cfg.refresh * 1000);
    let timer = null;
    window.addEventListener("resize", () => {
      clearTimeout(timer);
      timer = setTimeout(() => { Object.values(charts).forEach((c) => c.resize()); if (leaflet) leaflet.invalidateSize(); }, 120);
    });
  }

  window.DJDash = { init, refetch };
})();
