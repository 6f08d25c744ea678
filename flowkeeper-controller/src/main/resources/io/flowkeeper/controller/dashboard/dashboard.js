// The Flowkeeper dashboard: reads the node's API with the operator's token and follows its event stream.
// No library: tables are rebuilt from the API's JSON every 2 s; the timeline comes from /v1/events (server-sent
// events read through fetch, because EventSource cannot send an Authorization header and the token must never
// go into a URL).
'use strict';

const TOKEN_KEY = 'flowkeeper-token';
const REFRESH_MS = 2000;
// The network model changes at an operator's pace and may be large: read it less often, and at most this much.
const NETWORK_REFRESH_MS = 10000;
const NETWORK_LIMIT = 200;
const $ = (id) => document.getElementById(id);
let refreshTimer = null;
let networkTimer = null;
let streamAbort = null;
let lastEventId = 0;
const lastReconcile = new Map(); // dpid -> event

function token() { return sessionStorage.getItem(TOKEN_KEY); }

async function api(path) {
  const r = await fetch(path, { headers: { Authorization: 'Bearer ' + token() }, cache: 'no-store' });
  if (r.status === 401 || r.status === 403) { throw Object.assign(new Error('token refused'), { auth: true }); }
  if (!r.ok) { throw new Error(path + ': HTTP ' + r.status); }
  return r.json();
}

function cell(row, text, cls) {
  const td = document.createElement('td');
  td.textContent = text === null || text === undefined ? '' : String(text);
  if (cls) { td.className = cls; }
  row.appendChild(td);
  return td;
}

function fill(tableId, rows, build) {
  const body = $(tableId).querySelector('tbody');
  const fresh = document.createElement('tbody');
  rows.forEach((item) => { const tr = document.createElement('tr'); build(tr, item); fresh.appendChild(tr); });
  body.replaceWith(fresh);
}

function ago(ms) {
  if (!ms) { return ''; }
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 60 ? s + ' s ago' : Math.round(s / 60) + ' min ago';
}

function size(bytes) {
  if (bytes < 1024) { return bytes + ' B'; }
  const units = ['KiB', 'MiB', 'GiB'];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u += 1; }
  return v.toFixed(v < 10 ? 1 : 0) + ' ' + units[u];
}

async function refresh() {
  try {
    const [cluster, switches, ownership] = await Promise.all([
      api('/v1/cluster'), api('/v1/switches?consistency=stale'), api('/v1/ownership')]);
    let hosts = { hosts: [] };
    try { hosts = await api('/v1/network/hosts'); } catch (e) { if (e.auth) { throw e; } }
    $('node-label').textContent = 'node ' + cluster.observer;
    const leases = new Map(ownership.nodes.map((n) => [n.node, n]));
    fill('nodes', cluster.nodes, (tr, n) => {
      tr.dataset.node = n.id;
      cell(tr, n.id);
      cell(tr, n.raftAddress);
      cell(tr, n.up ? 'up' : 'down', n.up ? 'up' : 'down');
      cell(tr, n.leaderOf, 'num');
      const l = leases.get(n.id);
      cell(tr, l ? (l.alive ? 'alive' : 'expired') : '', l && !l.alive ? 'down' : '');
    });
    fill('shards', cluster.shards, (tr, s) => {
      tr.dataset.shard = s.name;
      cell(tr, s.name);
      cell(tr, s.leader || 'none', s.leader ? 'leader' : 'leader down');
      cell(tr, s.term, 'num term');
      cell(tr, s.commitIndex, 'num commit');
      cell(tr, s.appliedIndex, 'num');
      const lags = Object.entries(s.followerLag || {}).map(([k, v]) => k + ':' + v).join(' ');
      cell(tr, lags);
    });
    fill('switches', switches.switches, (tr, s) => {
      tr.dataset.dpid = s.dpid;
      cell(tr, s.dpid);
      cell(tr, s.master || 'none', s.master ? 'master' : 'master down');
      cell(tr, s.generation, 'num generation');
      cell(tr, (s['connected-to'] || []).join(' '), 'connected');
      cell(tr, s['desired-flows'], 'num desired');
      cell(tr, s.flows === undefined ? '' : s.flows, 'num actual');
      const r = lastReconcile.get(s.dpid);
      cell(tr, r ? r.fields.node + ', ' + r.fields.millis + ' ms, ' + ago(r.time) : '', 'reconcile');
    });
    $('switch-count').textContent = '(' + switches.switches.length + ')';
    fill('hosts', hosts.hosts || [], (tr, h) => {
      tr.dataset.host = h.name;
      cell(tr, h.name);
      cell(tr, h.alive ? 'alive' : 'down', h.alive ? 'up' : 'down');
      cell(tr, h.tunnel_ip);
      cell(tr, h.heartbeat);
      const s = h.snapshot || {};
      cell(tr, s.flows, 'num snapshot-flows');
      cell(tr, s.bytes === undefined ? '' : size(s.bytes), 'num snapshot-bytes');
      cell(tr, s.written_millis ? ago(s.written_millis) + (s.state ? ' (' + s.state + ')' : '') : s.state,
        'snapshot-age');
      const r = h.last_restore;
      cell(tr, r ? r.flows + ' flows in ' + r.duration_millis + ' ms, ' + ago(r.at_millis) : '', 'restore');
      const d = h.local_dhcp;
      cell(tr, d ? (d.serving ? '' : 'down, ') + d.ports + ' ports, ' + d.answered + ' answered' : '', 'dhcp');
      cell(tr, h.agent_version);
    });
    $('host-count').textContent = '(' + (hosts.hosts || []).length + ')';
    setStatus(true, 'updated ' + new Date().toLocaleTimeString());
  } catch (e) {
    if (e.auth) { logout('The node refused the token.'); return; }
    setStatus(false, 'cannot read the node: ' + e.message);
  }
}

// Networks (the first NETWORK_LIMIT by name), their subnets, their ports' states and hosts (one request for the
// ports of all of them: the API reads them through its per-network index), and the routers with their interfaces.
async function refreshNetworks() {
  try {
    const q = 'limit=' + NETWORK_LIMIT + '&sort_key=name&sort_dir=asc';
    const [networks, subnets, routers] = await Promise.all([
      api('/v2.0/networks?' + q), api('/v2.0/subnets?fields=id&fields=cidr&fields=network_id'),
      api('/v2.0/routers?' + q)]);
    const nets = networks.networks || [];
    const byId = new Map(nets.map((n) => [n.id, n]));
    const cidrs = new Map();
    (subnets.subnets || []).forEach((s) => cidrs.set(s.id, s));
    let ports = [];
    if (nets.length > 0) {
      const ids = nets.map((n) => 'network_id=' + encodeURIComponent(n.id)).join('&');
      ports = (await api('/v2.0/ports?' + ids + '&fields=network_id&fields=status&fields=binding:host_id'
        + '&fields=device_owner&fields=device_id&fields=fixed_ips')).ports || [];
    }
    const perNetwork = new Map();
    ports.forEach((p) => {
      const c = perNetwork.get(p.network_id) || { all: 0, active: 0, hosts: new Set() };
      c.all += 1;
      if (p.status === 'ACTIVE') { c.active += 1; }
      if (p['binding:host_id']) { c.hosts.add(p['binding:host_id']); }
      perNetwork.set(p.network_id, c);
    });
    fill('networks', nets, (tr, n) => {
      tr.dataset.network = n.name || n.id;
      cell(tr, n.name || n.id, 'name');
      cell(tr, n.project_id);
      cell(tr, n['provider:network_type']);
      cell(tr, n['provider:segmentation_id'], 'num');
      cell(tr, (n.subnets || []).map((id) => (cidrs.get(id) || { cidr: id }).cidr).join(' '), 'subnets');
      const c = perNetwork.get(n.id) || { all: 0, active: 0, hosts: new Set() };
      cell(tr, c.active + ' / ' + c.all, 'num ports');
      cell(tr, [...c.hosts].sort().join(' '), 'hosts');
      cell(tr, n['router:external'] ? 'yes' : '');
    });
    $('network-count').textContent = '(' + nets.length + ')';
    $('network-note').textContent = nets.length >= NETWORK_LIMIT ? '(the first ' + NETWORK_LIMIT + ' by name)' : '';
    // Each HA router's active gateway host (the agents' routes; a token refused there shows none).
    const gateways = new Map();
    try {
      ((await api('/v1/network/gateways')).gateways || []).forEach((g) => gateways.set(g.router, g));
    } catch (e) { /* no gateway column then */ }
    const interfaces = new Map();
    ports.filter((p) => p.device_owner === 'network:router_interface').forEach((p) => {
      const list = interfaces.get(p.device_id) || [];
      (p.fixed_ips || []).forEach((ip) => list.push(ip.ip_address + ' (' + ((byId.get(p.network_id) || {}).name
        || p.network_id) + ')'));
      interfaces.set(p.device_id, list);
    });
    fill('routers', routers.routers || [], (tr, r) => {
      tr.dataset.router = r.name || r.id;
      cell(tr, r.name || r.id, 'name');
      cell(tr, r.project_id);
      cell(tr, (interfaces.get(r.id) || []).sort().join(', '), 'interfaces');
      cell(tr, (r.routes || []).map((x) => x.destination + ' via ' + x.nexthop).join(', '), 'routes');
      const gw = r.external_gateway_info;
      cell(tr, gw && gw.network_id ? ((byId.get(gw.network_id) || {}).name || gw.network_id) : '', 'gateway');
      cell(tr, r.ha ? 'yes' : 'no');
      const g = gateways.get(r.id);
      cell(tr, g ? (g.active || 'none') + ' (generation ' + g.generation + ')' : '', 'active-gateway');
    });
    $('router-count').textContent = '(' + (routers.routers || []).length + ')';
    $('network-section').hidden = false;
  } catch (e) {
    if (e.auth) { $('network-section').hidden = true; return; } // a token without rights on /v2.0: no section
    $('network-note').textContent = 'cannot read the network API: ' + e.message;
  }
}

function setStatus(ok, text) {
  const s = $('status');
  s.className = 'status ' + (ok ? 'ok' : 'bad');
  s.textContent = text;
}

function addEvent(ev) {
  if (ev.seq <= lastEventId) { return; }
  lastEventId = ev.seq;
  if (ev.kind === 'reconcile') { lastReconcile.set(ev.fields.dpid, ev); }
  const li = document.createElement('li');
  li.className = ev.kind + ' fresh';
  li.dataset.kind = ev.kind;
  const t = document.createElement('time');
  const d = new Date(ev.time);
  t.textContent = d.toLocaleTimeString() + '.' + String(d.getMilliseconds()).padStart(3, '0');
  const k = document.createElement('span');
  k.className = 'kind';
  k.textContent = ev.kind;
  const text = document.createElement('span');
  text.className = 'text';
  text.textContent = ev.text;
  li.append(t, k, text);
  const list = $('timeline');
  list.insertBefore(li, list.firstChild);
  setTimeout(() => li.classList.remove('fresh'), 5000);
  while (list.children.length > 2000) { list.removeChild(list.lastChild); }
}

// Server-sent events over fetch: parse "id:", "event:", "data:" lines; a blank line ends an event.
async function follow() {
  while (token()) {
    streamAbort = new AbortController();
    try {
      const r = await fetch('/v1/events?after=' + lastEventId, {
        headers: { Authorization: 'Bearer ' + token(), Accept: 'text/event-stream' },
        signal: streamAbort.signal, cache: 'no-store' });
      if (r.status === 401 || r.status === 403) { logout('The node refused the token.'); return; }
      if (!r.ok) { throw new Error('HTTP ' + r.status); }
      const reader = r.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      let data = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) { break; }
        buffer += decoder.decode(value, { stream: true });
        let nl;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (line === '') {
            if (data) { try { addEvent(JSON.parse(data)); } catch (e) { /* a malformed event is skipped */ } }
            data = '';
          } else if (line.startsWith('data: ')) {
            data += line.slice(6);
          }
        }
      }
    } catch (e) {
      if (e.name === 'AbortError') { return; }
    }
    await new Promise((res) => setTimeout(res, 1000)); // reconnect, resuming after the last event seen
  }
}

function start() {
  $('login').hidden = true;
  $('main').hidden = false;
  $('logout').hidden = false;
  refresh();
  refreshTimer = setInterval(refresh, REFRESH_MS);
  refreshNetworks();
  networkTimer = setInterval(refreshNetworks, NETWORK_REFRESH_MS);
  follow();
}

function logout(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  if (refreshTimer) { clearInterval(refreshTimer); refreshTimer = null; }
  if (networkTimer) { clearInterval(networkTimer); networkTimer = null; }
  if (streamAbort) { streamAbort.abort(); }
  $('main').hidden = true;
  $('logout').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message || '';
}

document.addEventListener('DOMContentLoaded', () => {
  $('login').addEventListener('submit', async (e) => {
    e.preventDefault();
    const t = $('login-token').value.trim();
    $('login-token').value = '';
    sessionStorage.setItem(TOKEN_KEY, t);
    try {
      await api('/v1/cluster');
      start();
    } catch (err) {
      logout(err.auth ? 'The node refused the token.' : 'Cannot reach the node: ' + err.message);
    }
  });
  $('logout').addEventListener('click', () => logout(''));
  if (token()) { start(); } else { logout(''); }
});
