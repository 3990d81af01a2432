// Click guard merchant dashboard: plain JavaScript, no dependencies, no build step.
// The page holds a pasted bearer token (sessionStorage: this tab only) and calls the v1 API with
// it. The token's payload is read here without verifying it (the API verifies every call) only to
// know the role and the merchant id.
'use strict';

(function () {
  const REASONS = {
    BOT_AGENT: { label: 'Bot or crawler', color: '#64748b' },
    SOURCE_VELOCITY: { label: 'Clicking too fast', color: '#0284c7' },
    DUPLICATE_CLICK: { label: 'Repeat click', color: '#4f46e5' },
    SHORT_DWELL: { label: 'Left at once', color: '#d97706' },
    RIVAL_SELLER: { label: 'Rival seller', color: '#be123c' },
    DWELL_PATTERN: { label: 'Scripted stay', color: '#7c3aed' },
    COORDINATED_CAMPAIGN: { label: 'Coordinated campaign', color: '#b91c1c' },
  };
  const HOW = {
    'realtime/filtered': 'Not charged',
    'dwell/credited': 'Credited after dwell',
    'dwell/filtered': 'Not charged (dwell)',
    'sweep/credited': 'Credited by sweep',
    'sweep/filtered': 'Not charged (sweep)',
  };
  const HOUR_MS = 3600000;
  const DAY_MS = 86400000;
  const PAGE = 100;
  const CSV_PAGE = 1000;
  const CSV_MAX_PAGES = 200;
  const MAX_BARS = 400;
  const TOKEN_KEY = 'clickguard.token';
  const MERCHANT_KEY = 'clickguard.merchant';
  const BASE = new URL('./', window.location.href); // '/' locally, '/api/' under an API Gateway stage
  const SVG_NS = 'http://www.w3.org/2000/svg';

  const $ = (id) => document.getElementById(id);
  const state = {
    token: null,
    claims: null,
    merchant: null,
    query: null, // {from, to, fromMs, toMs, bucket}
    refundsCursor: null,
    campaignsCursor: null,
    // Each part keeps the number of its latest request: an older answer arriving late is dropped.
    gen: { load: 0, summary: 0, refunds: 0, campaigns: 0 },
    summary: null,
  };

  // ---- formatting ------------------------------------------------------------------------------

  // Integer micros to "¥1,234.57": BigInt arithmetic, rounded half up to the cent; no floats.
  function money(micros, currency) {
    let m;
    try {
      m = BigInt(micros);
    } catch (e) {
      return '–';
    }
    const negative = m < 0n;
    if (negative) m = -m;
    const cents = (m + 5000n) / 10000n;
    const whole = (cents / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    const frac = (cents % 100n).toString().padStart(2, '0');
    const cur = currency || 'CNY';
    const text = cur === 'CNY' ? '¥' + whole + '.' + frac : whole + '.' + frac + ' ' + cur;
    return (negative ? '−' : '') + text;
  }

  const integer = new Intl.NumberFormat();
  const fmtDateTime = new Intl.DateTimeFormat(undefined, {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
  const fmtThisYear = new Intl.DateTimeFormat(undefined, {
    month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
  const thisYear = new Date().getFullYear();
  // The year only when it is not this one: a merchant reads the day and the time.
  const fmtRowTime = { format: (d) => (d.getFullYear() === thisYear ? fmtThisYear : fmtDateTime).format(d) };
  const fmtShort = new Intl.DateTimeFormat(undefined, {
    month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
  });
  const fmtHour = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
  const fmtDay = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

  // A <time> in local time, with the UTC ISO string the API sent in its title.
  function timeEl(iso, format) {
    const el = document.createElement('time');
    el.dateTime = iso;
    el.title = iso + ' (UTC)';
    el.textContent = iso ? (format || fmtDateTime).format(new Date(iso)) : '–';
    return el;
  }

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'text') node.textContent = v;
      else if (k === 'class') node.className = v;
      else node.setAttribute(k, v === true ? '' : v);
    }
    for (const child of [].concat(children || [])) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  function svg(tag, attrs, children) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const child of [].concat(children || [])) if (child) node.append(child);
    return node;
  }

  function reasonChip(code) {
    const info = REASONS[code] || { label: code, color: '#475569' };
    const chip = el('span', { class: 'chip', title: code }, [info.label]);
    chip.style.setProperty('--chip', info.color);
    return chip;
  }

  function status(text, kind) {
    const node = $('status');
    node.textContent = text || '';
    node.className = 'status' + (kind ? ' ' + kind : '');
  }

  // ---- token and API -----------------------------------------------------------------------------

  function decodeClaims(token) {
    const parts = token.split('.');
    if (parts.length !== 3) throw new Error('This is not a JWT (three parts separated by dots).');
    let b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    while (b64.length % 4) b64 += '=';
    let claims;
    try {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      claims = JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) {
      throw new Error('The token payload cannot be read.');
    }
    if (!claims || typeof claims !== 'object') throw new Error('The token payload cannot be read.');
    if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) {
      throw new Error('This token expired at ' + fmtDateTime.format(new Date(claims.exp * 1000)) + '.');
    }
    if (claims.role === 'merchant') {
      if (typeof claims.merchant_id !== 'string' || !claims.merchant_id) {
        throw new Error('This merchant token has no merchant_id claim.');
      }
    } else if (claims.role !== 'analyst') {
      throw new Error('The dashboard is for merchant and analyst tokens; this one is for “' +
        String(claims.role || 'no role') + '”.');
    }
    return claims;
  }

  class ApiError extends Error {
    constructor(statusCode, message) {
      super(message);
      this.status = statusCode;
    }
  }

  function apiUrl(path, params) {
    const url = new URL(path, BASE);
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== null && v !== undefined && v !== '') url.searchParams.set(k, v);
    }
    return url;
  }

  async function api(path, params, raw) {
    let resp;
    try {
      resp = await fetch(apiUrl(path, params), {
        headers: { Authorization: 'Bearer ' + state.token },
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch (e) {
      throw new ApiError(0, 'The service cannot be reached. Check the connection and try again.');
    }
    if (!resp.ok) {
      let message = resp.statusText;
      try {
        message = (await resp.json()).Message || message;
      } catch (e) { /* not JSON */ }
      throw new ApiError(resp.status, message);
    }
    return raw ? resp : resp.json();
  }

  function handleError(err) {
    if (err instanceof ApiError && err.status === 401) {
      signOut('Your token was refused (' + err.message + '). Sign in again with a valid token.');
      return;
    }
    if (err instanceof ApiError && err.status === 403) {
      status('This token may not read that: ' + err.message, 'error');
    } else if (err instanceof ApiError && err.status === 503) {
      status('The service is busy. Try again in a moment.', 'error');
    } else {
      status(err.message || String(err), 'error');
    }
  }

  // ---- sign in / out -------------------------------------------------------------------------------

  function signIn(token, remember) {
    const claims = decodeClaims(token);
    state.token = token;
    state.claims = claims;
    if (remember) sessionStorage.setItem(TOKEN_KEY, token);
    const analyst = claims.role === 'analyst';
    $('who-text').textContent = analyst
      ? 'Analyst' + (claims.sub ? ' · ' + claims.sub : '')
      : 'Merchant ' + claims.merchant_id;
    $('who').hidden = false;
    $('signin').hidden = true;
    $('filters').hidden = false;
    $('dashboard').hidden = false;
    $('merchant-field').hidden = !analyst;
    $('campaigns-card').hidden = !analyst;
    if (analyst) {
      $('merchant').value = sessionStorage.getItem(MERCHANT_KEY) || '';
    }
    status('');
    load();
  }

  function signOut(message) {
    state.token = null;
    state.claims = null;
    for (const part of Object.keys(state.gen)) state.gen[part] += 1;
    sessionStorage.removeItem(TOKEN_KEY);
    $('who').hidden = true;
    $('filters').hidden = true;
    $('dashboard').hidden = true;
    $('signin').hidden = false;
    $('token').value = '';
    $('signin-error').textContent = message || '';
    status('');
    $('token').focus();
  }

  // ---- filters -------------------------------------------------------------------------------------

  function toLocalInput(ms) {
    const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
    return d.toISOString().slice(0, 16);
  }

  function presetRange(preset) {
    const now = Date.now();
    const spans = { '24h': DAY_MS, '7d': 7 * DAY_MS, '30d': 30 * DAY_MS };
    if (spans[preset]) return { fromMs: now - spans[preset], toMs: null };
    return { fromMs: null, toMs: null };
  }

  function syncRangeInputs() {
    const preset = $('range').value;
    const custom = preset === 'custom';
    $('from').disabled = !custom;
    $('to').disabled = !custom;
    if (!custom) {
      const r = presetRange(preset);
      $('from').value = r.fromMs === null ? '' : toLocalInput(r.fromMs);
      $('to').value = '';
    }
  }

  function readQuery() {
    let fromMs;
    let toMs;
    if ($('range').value === 'custom') {
      fromMs = $('from').value ? new Date($('from').value).getTime() : null;
      toMs = $('to').value ? new Date($('to').value).getTime() + 59999 : null;
      if (fromMs !== null && toMs !== null && fromMs > toMs) throw new Error('“From” is after “To”.');
    } else {
      ({ fromMs, toMs } = presetRange($('range').value));
    }
    return {
      fromMs,
      toMs,
      from: fromMs === null ? null : new Date(fromMs).toISOString(),
      to: toMs === null ? null : new Date(toMs).toISOString(),
    };
  }

  function chooseBucket(q) {
    const choice = $('bucket').value;
    if (choice !== 'auto') return choice;
    if (q.fromMs === null) return 'day';
    const span = (q.toMs === null ? Date.now() : q.toMs) - q.fromMs;
    return span <= 7 * DAY_MS ? 'hour' : 'day';
  }

  // ---- loading ---------------------------------------------------------------------------------

  async function load() {
    let q;
    try {
      q = readQuery();
    } catch (err) {
      status(err.message, 'error');
      return;
    }
    const analyst = state.claims.role === 'analyst';
    const merchant = analyst ? $('merchant').value.trim() : state.claims.merchant_id;
    state.merchant = merchant || null;
    state.query = q;
    const gen = ++state.gen.load;
    if (analyst && merchant) sessionStorage.setItem(MERCHANT_KEY, merchant);
    $('pick-merchant').hidden = Boolean(merchant);
    $('merchant-view').hidden = !merchant;
    status('Loading…');
    const jobs = [];
    if (merchant) jobs.push(loadSummary(), loadRefunds(false));
    if (analyst) jobs.push(loadCampaigns(false));
    const results = await Promise.allSettled(jobs);
    if (gen !== state.gen.load) return;
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) handleError(failed.reason);
    else status('Updated ' + fmtHour.format(new Date()) + '.');
  }

  function merchantPath(suffix) {
    return 'v1/merchants/' + encodeURIComponent(state.merchant) + '/refunds' + (suffix || '');
  }

  async function loadSummary() {
    const gen = ++state.gen.summary;
    const q = state.query;
    const bucket = chooseBucket(q);
    const data = await api(merchantPath('/summary'), { from: q.from, to: q.to, bucket });
    if (gen !== state.gen.summary) return;
    state.summary = data;
    renderKpis(data);
    renderChart(data, q, bucket);
    renderReasons(data);
  }

  function refundParams(limit) {
    const q = state.query;
    return { from: q.from, to: q.to, reason: $('reason').value, limit: String(limit) };
  }

  async function loadRefunds(more) {
    const gen = ++state.gen.refunds;
    const params = refundParams(PAGE);
    if (more) params.cursor = state.refundsCursor;
    const data = await api(merchantPath(), params);
    if (gen !== state.gen.refunds) return;
    renderRefunds(data.refunds, more);
    state.refundsCursor = data.next_cursor;
    $('older').hidden = !data.next_cursor;
  }

  async function loadCampaigns(more) {
    const gen = ++state.gen.campaigns;
    const q = state.query;
    const params = { from: q.from, to: q.to, limit: '50' };
    if (more) params.cursor = state.campaignsCursor;
    const data = await api('v1/campaigns', params);
    if (gen !== state.gen.campaigns) return;
    renderCampaigns(data.campaigns, more);
    state.campaignsCursor = data.next_cursor;
    $('campaigns-older').hidden = !data.next_cursor;
  }

  // ---- rendering: totals and chart -------------------------------------------------------------------

  function renderKpis(s) {
    const share = s.clicks ? ' (' + ((100 * s.refunded_clicks) / s.clicks).toFixed(1) + '%)' : '';
    $('kpi-refunded').textContent = integer.format(s.refunded_clicks) + ' of ' + integer.format(s.clicks) + share;
    $('kpi-refunded-micros').textContent = money(s.refunded_micros);
    $('kpi-credited').textContent = money(s.credited_micros);
    $('kpi-net').textContent = money(s.net_charged_micros);
  }

  // Every bucket of the period, empty ones included, so the time axis is even.
  function fillSeries(series, q, bucket) {
    const size = bucket === 'day' ? DAY_MS : HOUR_MS;
    const byStart = new Map(series.map((b) => [Date.parse(b.start), b]));
    const starts = [...byStart.keys()];
    let first = q.fromMs !== null ? Math.floor(q.fromMs / size) * size : Math.min(...starts);
    let last = Math.floor((q.toMs !== null ? q.toMs : Date.now()) / size) * size;
    if (starts.length) last = Math.max(last, Math.max(...starts));
    if (!Number.isFinite(first)) return [];
    if (q.fromMs === null && starts.length) first = Math.min(...starts);
    if ((last - first) / size + 1 > MAX_BARS) first = last - (MAX_BARS - 1) * size;
    const out = [];
    for (let t = first; t <= last; t += size) {
      const b = byStart.get(t);
      out.push({
        startMs: t,
        start: new Date(t).toISOString(),
        clicks: b ? b.clicks : 0,
        refunded: b ? b.refunded : 0,
        refunded_micros: b ? b.refunded_micros : 0,
      });
    }
    return out;
  }

  function niceStep(max, ticks) {
    const raw = Math.max(1, max) / ticks;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
    return Math.max(1, Math.ceil(step));
  }

  function bucketLabel(b, bucket) {
    const d = new Date(b.startMs);
    return bucket === 'day' ? fmtDay.format(d) : fmtShort.format(d);
  }

  function renderChart(s, q, bucket) {
    const buckets = fillSeries(s.series, q, bucket);
    state.chart = { buckets, bucket };
    $('chart-title').textContent = 'Refunded clicks per ' + bucket;
    drawChart();
    const tbody = $('chart-table').tBodies[0];
    tbody.replaceChildren(
      ...buckets
        .filter((b) => b.clicks || b.refunded)
        .map((b) =>
          el('tr', {}, [
            el('td', {}, [timeEl(b.start, bucket === 'day' ? fmtDay : fmtShort)]),
            el('td', { class: 'num', text: integer.format(b.clicks) }),
            el('td', { class: 'num', text: integer.format(b.refunded) }),
            el('td', { class: 'num', text: money(b.refunded_micros) }),
          ])
        )
    );
    const peak = buckets.reduce((a, b) => (b.refunded > (a ? a.refunded : -1) ? b : a), null);
    $('chart-caption').textContent =
      integer.format(s.refunded_clicks) + ' of ' + integer.format(s.clicks) + ' clicks refunded' +
      (peak && peak.refunded ? '; most in the ' + bucket + ' from ' + bucketLabel(peak, bucket) +
        ' (' + integer.format(peak.refunded) + ')' : '') + '.';
  }

  function drawChart() {
    const box = $('chart');
    if (!state.chart) return;
    const { buckets, bucket } = state.chart;
    const width = Math.max(320, Math.floor(box.clientWidth || 800));
    const height = 260;
    const m = { top: 14, right: 12, bottom: 30, left: 48 };
    const w = width - m.left - m.right;
    const h = height - m.top - m.bottom;
    const hasData = buckets.some((b) => b.clicks || b.refunded);
    const max = Math.max(1, ...buckets.map((b) => Math.max(b.clicks, b.refunded)));
    const step = niceStep(max, 4);
    const top = Math.ceil(max / step) * step;
    const y = (v) => m.top + h - (v / top) * h;
    const slot = buckets.length ? w / buckets.length : w;
    const barW = Math.max(1, Math.min(48, slot * 0.72));

    const root = svg('svg', {
      width: String(width),
      height: String(height),
      viewBox: '0 0 ' + width + ' ' + height,
      role: 'img',
      'aria-labelledby': 'chart-title chart-caption',
      class: 'chart-svg',
    });
    const grid = svg('g', { class: 'grid' });
    for (let v = 0; v <= top; v += step) {
      grid.append(
        svg('line', { x1: m.left, x2: width - m.right, y1: y(v), y2: y(v) }),
        svg('text', { x: m.left - 8, y: y(v) + 4, 'text-anchor': 'end' }, [document.createTextNode(integer.format(v))])
      );
    }
    root.append(grid);

    const bars = svg('g', { class: 'bars' });
    buckets.forEach((b, i) => {
      const x = m.left + i * slot + (slot - barW) / 2;
      const group = svg('g', { class: 'bar', 'data-index': String(i) });
      group.append(svg('rect', { class: 'hit', x: m.left + i * slot, y: m.top, width: slot, height: h }));
      if (b.clicks) {
        group.append(svg('rect', { class: 'clicks', x, y: y(b.clicks), width: barW, height: y(0) - y(b.clicks), rx: 2 }));
      }
      if (b.refunded) {
        group.append(
          svg('rect', { class: 'refunded', x, y: y(b.refunded), width: barW, height: y(0) - y(b.refunded), rx: 2 })
        );
      }
      bars.append(group);
    });
    root.append(bars);
    root.append(svg('line', { class: 'axis', x1: m.left, x2: width - m.right, y1: y(0), y2: y(0) }));

    // x labels: as many as fit without overlapping (~6.5 px per character at this size)
    const labels = svg('g', { class: 'xlabels' });
    const every = Math.max(1, Math.ceil(78 / slot));
    let lastRight = -Infinity;
    buckets.forEach((b, i) => {
      if (i % every !== 0) return;
      const d = new Date(b.startMs);
      let text;
      if (bucket === 'day') text = fmtDay.format(d);
      else text = i === 0 || d.getHours() < every ? fmtShort.format(d) : fmtHour.format(d);
      const half = (text.length * 6.5) / 2;
      let x = m.left + i * slot + slot / 2;
      let anchor = 'middle';
      if (x + half > width - 2) {
        x = width - 2; // keep the last label inside the chart
        anchor = 'end';
      }
      const left = anchor === 'end' ? x - 2 * half : x - half;
      if (left < lastRight + 10) return;
      lastRight = anchor === 'end' ? x : x + half;
      labels.append(svg('text', { x, y: height - 10, 'text-anchor': anchor }, [document.createTextNode(text)]));
    });
    root.append(labels);
    if (!hasData) {
      root.append(
        svg('text', { class: 'nodata', x: m.left + w / 2, y: m.top + h / 2, 'text-anchor': 'middle' }, [
          document.createTextNode('No clicks in this period'),
        ])
      );
    }
    box.replaceChildren(root);
  }

  function tooltipText(b, bucket) {
    const end = new Date(b.startMs + (bucket === 'day' ? DAY_MS : HOUR_MS));
    return [
      (bucket === 'day' ? fmtDay.format(new Date(b.startMs)) : fmtShort.format(new Date(b.startMs)) + '–' + fmtHour.format(end)),
      integer.format(b.refunded) + ' refunded of ' + integer.format(b.clicks) + ' clicks',
      money(b.refunded_micros) + ' refunded',
    ];
  }

  function showTooltip(event) {
    const group = event.target.closest && event.target.closest('g.bar');
    const tip = $('tooltip');
    if (!group || !state.chart) {
      tip.hidden = true;
      return;
    }
    const b = state.chart.buckets[Number(group.dataset.index)];
    const lines = tooltipText(b, state.chart.bucket);
    tip.replaceChildren(el('strong', { text: lines[0] }), el('span', { text: lines[1] }), el('span', { text: lines[2] }));
    tip.hidden = false;
    const fig = $('chart-figure').getBoundingClientRect();
    const left = Math.min(event.clientX - fig.left + 12, fig.width - tip.offsetWidth - 4);
    tip.style.left = Math.max(0, left) + 'px';
    tip.style.top = Math.max(0, event.clientY - fig.top - tip.offsetHeight - 10) + 'px';
  }

  function renderReasons(s) {
    const list = $('reasons');
    const entries = Object.entries(s.by_reason).sort((a, b) => b[1].count - a[1].count);
    if (!entries.length) {
      list.replaceChildren(el('li', { class: 'empty', text: 'Nothing refunded in this period.' }));
      return;
    }
    const total = Math.max(1, s.refunded_clicks);
    list.replaceChildren(
      ...entries.map(([code, t]) => {
        const info = REASONS[code] || { label: code, color: '#475569' };
        const pct = Math.round((100 * t.count) / total);
        const fill = el('span', { class: 'fill' });
        fill.style.width = Math.max(1, (100 * t.count) / total) + '%';
        fill.style.background = info.color;
        const button = el('button', { type: 'button', class: 'reason', 'data-reason': code,
          'aria-pressed': String($('reason').value === code) }, [
          el('span', { class: 'reason-name' }, [info.label, el('code', { text: code })]),
          el('span', { class: 'meter', 'aria-hidden': 'true' }, [fill]),
          el('span', { class: 'reason-count num', text: integer.format(t.count) + ' · ' + pct + '%' }),
          el('span', { class: 'reason-money num', text: money(t.micros) }),
        ]);
        return el('li', {}, [button]);
      })
    );
  }

  // ---- rendering: tables ---------------------------------------------------------------------------

  function renderRefunds(refunds, append) {
    const tbody = $('refunds').tBodies[0];
    const rows = refunds.map((r) =>
      el('tr', {}, [
        el('td', { class: 'nowrap' }, [timeEl(r.click_ts, fmtRowTime)]),
        el('td', { class: 'mono', text: r.click_id }),
        el('td', { class: 'mono', text: r.listing_id }),
        el('td', { text: r.keyword || '–' }),
        el('td', { class: 'chips' }, [
          ...r.reasons.map(reasonChip),
          r.campaign_id ? el('span', { class: 'chip campaign', title: 'campaign', text: r.campaign_id }) : null,
        ]),
        el('td', { class: 'nowrap' }, [
          el('span', { title: 'refunded ' + r.refunded_at + ' (UTC)', text: HOW[r.stage + '/' + r.kind] || r.stage + ', ' + r.kind }),
        ]),
        el('td', { class: 'num nowrap', text: money(r.amount_micros, r.currency) }),
      ])
    );
    if (append) tbody.append(...rows);
    else tbody.replaceChildren(...rows);
    $('refunds-empty').hidden = tbody.rows.length > 0;
  }

  function targetsText(t) {
    const parts = [];
    if (t.advertisers.length) parts.push('sellers ' + t.advertisers.join(', '));
    if (t.keywords.length) parts.push('keywords ' + t.keywords.join(', '));
    if (t.listings.length) parts.push(t.listings.length + ' listing' + (t.listings.length > 1 ? 's' : ''));
    return parts.join(' · ') || '–';
  }

  function sourcesText(c) {
    const n = c.member_counts;
    return [
      [n.accounts, 'account'], [n.devices, 'device'], [n.ips, 'ip'], [n.seller_ids, 'seller'],
    ].filter(([k]) => k).map(([k, what]) => integer.format(k) + ' ' + what + (k === 1 ? '' : 's')).join(', ') || '–';
  }

  function renderCampaigns(campaigns, append) {
    const tbody = $('campaigns').tBodies[0];
    const rows = campaigns.map((c) =>
      el('tr', {}, [
        el('td', { class: 'nowrap' }, [
          el('button', { type: 'button', class: 'link mono', 'data-campaign': c.campaign_id, text: c.campaign_id }),
        ]),
        el('td', { class: 'nowrap' }, [timeEl(c.start, fmtShort), ' – ', timeEl(c.end, fmtHour)]),
        el('td', { text: targetsText(c.targets) }),
        el('td', { class: 'num', text: integer.format(c.clicks) }),
        el('td', { class: 'num nowrap', text: money(c.micros) }),
        el('td', { text: sourcesText(c) }),
        el('td', { class: 'chips' }, c.reasons.map(reasonChip)),
      ])
    );
    if (append) tbody.append(...rows);
    else tbody.replaceChildren(...rows);
    $('campaigns-empty').hidden = tbody.rows.length > 0;
  }

  async function showCampaign(id) {
    const box = $('campaign-detail');
    try {
      const c = await api('v1/campaigns/' + encodeURIComponent(id));
      const groups = [
        ['Accounts', c.members.accounts], ['Devices', c.members.devices], ['IPs', c.members.ips],
        ['Seller ids', c.members.seller_ids],
      ];
      const facts = el('dl', { class: 'facts' }, [
        el('div', {}, [el('dt', { text: 'When' }), el('dd', {}, [timeEl(c.start), ' – ', timeEl(c.end)])]),
        el('div', {}, [el('dt', { text: 'Found on' }), el('dd', { class: 'mono', text: c.anchor })]),
        el('div', {}, [el('dt', { text: 'Clicks' }), el('dd', { text: integer.format(c.clicks) + ' · ' + money(c.micros) })]),
        c.dwell ? el('div', {}, [el('dt', { text: 'Dwell band' }),
          el('dd', { text: (c.dwell.low_ms / 1000).toFixed(1) + '–' + (c.dwell.high_ms / 1000).toFixed(1) + ' s' })]) : null,
        el('div', {}, [el('dt', { text: 'Targets' }), el('dd', { text: targetsText(c.targets) })]),
      ]);
      const advertisers = c.targets.advertisers.map((a) =>
        el('button', { type: 'button', class: 'link', 'data-merchant': a, text: 'Show refunds of ' + a }));
      const members = el('div', { class: 'members' }, groups.map(([label, items]) =>
        el('div', { class: 'member-group' }, [
          el('h4', { text: label + ' (' + items.length + ')' }),
          items.length ? el('ul', { class: 'mono' }, items.map((v) => el('li', { text: v }))) : el('p', { class: 'muted', text: 'none' }),
        ])));
      box.replaceChildren(
        el('div', { class: 'detail-head' }, [
          el('h3', { text: 'Campaign ' + c.campaign_id }),
          el('button', { type: 'button', class: 'link', id: 'campaign-close', text: 'Close' }),
        ]),
        facts,
        advertisers.length ? el('p', { class: 'actions' }, advertisers) : null,
        members
      );
      box.hidden = false;
      box.focus();
    } catch (err) {
      handleError(err);
    }
  }

  // ---- CSV -----------------------------------------------------------------------------------------

  async function downloadCsv() {
    const button = $('csv');
    button.disabled = true;
    status('Preparing CSV…');
    try {
      const params = refundParams(CSV_PAGE);
      params.format = 'csv';
      let text = '';
      for (let page = 0; page < CSV_MAX_PAGES; page++) {
        const resp = await api(merchantPath(), params, true);
        const body = await resp.text();
        text += page === 0 ? body : body.slice(body.indexOf('\n') + 1); // one header row
        const next = resp.headers.get('X-Next-Cursor');
        if (!next) break;
        params.cursor = next;
      }
      // A BOM so that spreadsheet programs read the UTF-8 keywords (连衣裙) correctly.
      const blob = new Blob(['\ufeff', text], { type: 'text/csv;charset=utf-8' });
      const url = URL.createObjectURL(blob);
      const stamp = new Date().toISOString().slice(0, 10);
      const reason = $('reason').value ? '-' + $('reason').value : '';
      const link = el('a', { href: url, download: 'refunds-' + state.merchant + reason + '-' + stamp + '.csv' });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      status('CSV downloaded.');
    } catch (err) {
      handleError(err);
    } finally {
      button.disabled = false;
    }
  }

  // ---- wiring ----------------------------------------------------------------------------------

  function init() {
    const select = $('reason');
    for (const [code, info] of Object.entries(REASONS)) {
      select.append(el('option', { value: code, text: info.label }));
    }
    $('tz').textContent = 'Times in ' + (Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time');
    syncRangeInputs();

    $('signin-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const token = $('token').value.trim().replace(/^Bearer\s+/i, '');
      try {
        signIn(token, true);
        $('signin-error').textContent = '';
      } catch (err) {
        $('signin-error').textContent = err.message;
      }
    });
    $('signout').addEventListener('click', () => signOut(''));
    $('range').addEventListener('change', () => {
      syncRangeInputs();
      if ($('range').value !== 'custom') load();
    });
    $('filters').addEventListener('submit', (e) => {
      e.preventDefault();
      load();
    });
    $('bucket').addEventListener('change', () => {
      loadSummary().catch(handleError);
    });
    $('reason').addEventListener('change', () => {
      if (state.summary) renderReasons(state.summary);
      loadRefunds(false).catch(handleError);
    });
    $('older').addEventListener('click', () => loadRefunds(true).catch(handleError));
    $('campaigns-older').addEventListener('click', () => loadCampaigns(true).catch(handleError));
    $('csv').addEventListener('click', downloadCsv);
    $('reasons').addEventListener('click', (e) => {
      const button = e.target.closest('button[data-reason]');
      if (!button) return;
      const code = button.dataset.reason;
      $('reason').value = $('reason').value === code ? '' : code;
      $('reason').dispatchEvent(new Event('change'));
      $('table-title').scrollIntoView({ behavior: 'smooth', block: 'start' });
    });
    $('campaigns').addEventListener('click', (e) => {
      const button = e.target.closest('button[data-campaign]');
      if (button) showCampaign(button.dataset.campaign);
    });
    $('campaign-detail').addEventListener('click', (e) => {
      if (e.target.id === 'campaign-close') $('campaign-detail').hidden = true;
      const merchant = e.target.closest('button[data-merchant]');
      if (merchant) {
        $('merchant').value = merchant.dataset.merchant;
        load();
        window.scrollTo({ top: 0, behavior: 'smooth' });
      }
    });
    const chart = $('chart');
    chart.addEventListener('pointermove', showTooltip);
    chart.addEventListener('pointerleave', () => { $('tooltip').hidden = true; });
    let resizeTimer = null;
    window.addEventListener('resize', () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(drawChart, 100);
    });

    const saved = sessionStorage.getItem(TOKEN_KEY);
    if (saved) {
      try {
        signIn(saved, false);
      } catch (err) {
        signOut(err.message);
      }
    } else {
      $('token').focus();
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
