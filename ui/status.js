// Status: one Server-Sent Events stream (/status/events) pushes the cached health snapshot.
import { bytes, duration, h } from './api.js';

const $ = (id) => document.getElementById(id);

function pairs(dl, entries) {
  dl.replaceChildren(...entries.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function render(s) {
  $('health-state').textContent = s.health.ok ? 'healthy' : 'unhealthy';
  $('health-state').className = `big ${s.health.ok ? 'ok' : 'bad'}`;
  $('checks').replaceChildren(
    ...s.health.checks.map((c) => h('li', {}, h('span', { className: c.ok ? 'ok' : 'bad' }, c.ok ? '✔ ' : '✘ '), h('b', {}, c.name), c.detail ? ` — ${c.detail}` : '')),
  );
  const p = s.pressure;
  $('pressure-state').textContent = p.underPressure ? 'under pressure: new sessions and registrations wait' : 'no pressure';
  $('pressure-state').className = p.underPressure ? 'warn' : 'ok';
  $('pressure').replaceChildren(...p.details.map((d, i) => h('li', {}, h('b', {}, p.reasons[i]), `: ${d}`)));
  const m = s.sample;
  pairs($('system'), [
    ['Version', s.version],
    ['Board', s.board],
    ['Domain', s.domain],
    ['Up', duration(s.uptimeS)],
    ['CPU temperature', m?.tempC == null ? 'not available' : `${m.tempC.toFixed(1)} °C`],
    ['Memory available', m ? `${bytes(m.memAvailableBytes)} of ${bytes(m.memTotalBytes)}` : '…'],
    ['imedge memory (RSS)', m ? bytes(m.rssBytes) : '…'],
    ['Disk free', m ? bytes(m.diskFreeBytes) : '…'],
    ['Load (1 min)', m?.load1 == null ? 'unknown' : `${m.load1.toFixed(2)} on ${m.cpuCount} cores`],
    ['Event-loop lag', m ? `${m.eventLoopLagMs} ms` : '…'],
  ]);
  const w = s.watchdog;
  pairs(
    $('watchdog'),
    w.enabled
      ? [
          ['State', w.armed ? 'armed' : 'not armed'],
          ['Serial link', w.linkOpen ? 'open' : 'closed'],
          ['Heartbeats sent', w.heartbeatsSent],
          ['Heartbeats withheld', w.heartbeatsWithheld],
          ['Answers missed', w.answersMissed],
        ]
      : [['State', 'off (no watchdog device configured)']],
  );
  const l = s.listeners;
  pairs($('listeners'), [
    ['Address', l.bind],
    ['SIP', [l.sip.udp !== null ? `UDP ${l.sip.udp}` : '', l.sip.tcp !== null ? `TCP ${l.sip.tcp}` : '', l.sip.tls !== undefined ? `TLS ${l.sip.tls}` : ''].filter(Boolean).join(', ')],
    ['MSRP', `TCP ${l.msrp}${l.msrps !== undefined ? `, TLS ${l.msrps}` : ''}`],
    ['Admin HTTP', l.http],
  ]);
  const c = s.counts;
  pairs($('counts'), [
    ['Registrations', c.registrations],
    ['1-1 sessions', Object.values(c.sessions).reduce((a, b) => a + b, 0)],
    ['Group sessions', c.groupSessions],
    ['Group participants', c.participants],
    ['Status streams', `${s.statusStreams.open} open, ${s.statusStreams.refused} refused`],
  ]);
}

/** Opens the stream; onTick runs after each snapshot (the other views refresh their lists). */
export function startStatus(onTick) {
  const live = $('live');
  const es = new EventSource('/status/events');
  es.addEventListener('status', (e) => {
    live.textContent = 'live';
    live.className = 'pill on';
    render(JSON.parse(e.data));
    onTick();
  });
  es.addEventListener('error', () => {
    live.className = 'pill off';
    if (es.readyState !== EventSource.CLOSED) {
      live.textContent = 'reconnecting…';
      return;
    }
    // refused (too many pages open) or the login ended: the browser gives up, try again later
    live.textContent = 'not live: retrying in 10 s';
    setTimeout(() => startStatus(onTick), 10_000);
  });
}
