/** Rules that tie several keys together, checked on the merged configuration. */
import { ConfigError } from './errors';
import { isLoopback } from './net';
import type { Config } from './schema';

/** Digest authentication applies: "required", or "auto" with a bind address other than loopback. */
export function authRequired(cfg: Pick<Config, 'bind' | 'auth'>): boolean {
  return cfg.auth.mode === 'required' || (cfg.auth.mode === 'auto' && !isLoopback(cfg.bind));
}

/** TLS listeners are on: a certificate and its key are configured. */
export function tlsOn(cfg: Pick<Config, 'tls'>): boolean {
  return cfg.tls.cert !== '' && cfg.tls.key !== '';
}

function fail(key: string, message: string): never {
  throw new ConfigError(key, `${key}: ${message}`);
}

export function checkRules(cfg: Config): void {
  // DESIGN.md fixed point: registration is open without a password only while
  // every listener is on loopback.
  if (cfg.auth.mode === 'off' && !isLoopback(cfg.bind)) {
    fail('auth.mode', `"off" is not allowed while bind is ${cfg.bind} (not loopback); allowed: auto or required, or bind to 127.0.0.1 / ::1`);
  }
  if (cfg.health.hardMaxRssMiB <= cfg.health.maxRssMiB) {
    fail('health.hardMaxRssMiB', `${cfg.health.hardMaxRssMiB} must be above health.maxRssMiB (${cfg.health.maxRssMiB}): pressure refuses new sessions before the watchdog gives up`);
  }
  if (cfg.health.hardMaxEventLoopLagMs <= cfg.health.maxEventLoopLagMs) {
    fail('health.hardMaxEventLoopLagMs', `${cfg.health.hardMaxEventLoopLagMs} must be above health.maxEventLoopLagMs (${cfg.health.maxEventLoopLagMs})`);
  }
  const r = cfg.registrar;
  if (r.minExpires > r.maxExpires) {
    fail('registrar.minExpires', `${r.minExpires} is above registrar.maxExpires (${r.maxExpires}); allowed: <= ${r.maxExpires}`);
  }
  if (r.defaultExpires < r.minExpires || r.defaultExpires > r.maxExpires) {
    fail('registrar.defaultExpires', `${r.defaultExpires} is not allowed; allowed: ${r.minExpires}..${r.maxExpires} (registrar.minExpires..maxExpires)`);
  }
  if (cfg.sessions.maxPerUser > cfg.sessions.maxTotal) {
    fail('sessions.maxPerUser', `${cfg.sessions.maxPerUser} is above sessions.maxTotal (${cfg.sessions.maxTotal}); allowed: <= ${cfg.sessions.maxTotal}`);
  }
  if (cfg.msrp.maxChunkSize > cfg.msrp.maxMessageSize) {
    fail('msrp.maxChunkSize', `${cfg.msrp.maxChunkSize} is above msrp.maxMessageSize (${cfg.msrp.maxMessageSize}); allowed: <= ${cfg.msrp.maxMessageSize}`);
  }
  if (cfg.sip.t2Ms < cfg.sip.t1Ms) {
    fail('sip.t2Ms', `${cfg.sip.t2Ms} is below sip.t1Ms (${cfg.sip.t1Ms}); allowed: >= ${cfg.sip.t1Ms} (RFC 3261 17.1.2.2)`);
  }
  if (!cfg.sip.udp && !cfg.sip.tcp) {
    fail('sip.udp', 'sip.udp and sip.tcp are both false; allowed: at least one SIP transport');
  }
  // TLS is on with both files, off with neither: one alone is a mistake worth naming.
  if ((cfg.tls.cert === '') !== (cfg.tls.key === '')) {
    const [missing, given] = cfg.tls.cert === '' ? ['tls.cert', 'tls.key'] : ['tls.key', 'tls.cert'];
    fail(missing, `is empty while ${given} is set; allowed: both set (TLS on, --tls-cert FILE --tls-key FILE) or both empty (TLS off)`);
  }
  if (tlsOn(cfg)) {
    if (cfg.sip.tlsPort !== 0 && cfg.sip.tlsPort === cfg.sip.port && cfg.sip.tcp) {
      fail('sip.tlsPort', `${cfg.sip.tlsPort} is also sip.port (TCP); allowed: another port, or 0`);
    }
    if (cfg.msrp.tlsPort !== 0 && cfg.msrp.tlsPort === cfg.msrp.port) {
      fail('msrp.tlsPort', `${cfg.msrp.tlsPort} is also msrp.port; allowed: another port, or 0`);
    }
  }
  const ev = cfg.events;
  if (ev.minExpiresS > ev.maxExpiresS) {
    fail('events.minExpiresS', `${ev.minExpiresS} is above events.maxExpiresS (${ev.maxExpiresS}); allowed: <= ${ev.maxExpiresS}`);
  }
  if (ev.defaultExpiresS < ev.minExpiresS || ev.defaultExpiresS > ev.maxExpiresS) {
    fail('events.defaultExpiresS', `${ev.defaultExpiresS} is not allowed; allowed: ${ev.minExpiresS}..${ev.maxExpiresS} (events.minExpiresS..maxExpiresS)`);
  }
  const w = cfg.watchdog;
  if (w.reopenBackoffMs.min > w.reopenBackoffMs.max) {
    fail('watchdog.reopenBackoffMs.min', `${w.reopenBackoffMs.min} is above watchdog.reopenBackoffMs.max (${w.reopenBackoffMs.max}); allowed: <= ${w.reopenBackoffMs.max}`);
  }
  if (w.enabled && w.device === '') {
    fail('watchdog.device', 'is empty while watchdog.enabled is true; allowed: the serial device path (or use --watchdog-device PATH)');
  }
  if (w.answerTimeoutMs > w.periodMs) {
    fail('watchdog.answerTimeoutMs', `${w.answerTimeoutMs} is above watchdog.periodMs (${w.periodMs}); allowed: <= ${w.periodMs} (one answer per heartbeat)`);
  }
  // Two heartbeats may be lost to a busy moment without the MCU firing.
  if (w.timeoutS * 1000 < 3 * w.periodMs) {
    fail('watchdog.timeoutS', `${w.timeoutS} s is shorter than three heartbeat periods (3 x ${w.periodMs} ms); allowed: >= ${Math.ceil((3 * w.periodMs) / 1000)}`);
  }
}
