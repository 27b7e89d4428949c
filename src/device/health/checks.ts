/**
 * Named health checks. Each subsystem registers `name -> () => result`
 * (health is recent progress: 'sqlite-writable', 'sip-listeners', ...); the
 * watchdog, the systemd notifier and /healthz all consume the same list.
 */
import type { HealthVerdict } from '../logger';

export interface CheckResult {
  ok: boolean;
  detail?: string;
}

export type HealthCheck = () => CheckResult;

export interface CheckReport {
  name: string;
  ok: boolean;
  detail: string;
}

export interface HealthReport {
  ok: boolean;
  checks: CheckReport[];
}

const NAME = /^[a-z][a-z0-9-]{0,63}$/;

export class HealthChecks {
  private readonly checks = new Map<string, HealthCheck>();

  constructor(private readonly maxChecks: number) {}

  register(name: string, check: HealthCheck): void {
    if (!NAME.test(name)) throw new RangeError(`health check name must match ${NAME}: ${JSON.stringify(name)}`);
    if (this.checks.has(name)) throw new Error(`health check already registered: ${name}`);
    if (this.checks.size >= this.maxChecks) throw new RangeError(`too many health checks (limit ${this.maxChecks})`);
    this.checks.set(name, check);
  }

  unregister(name: string): boolean {
    return this.checks.delete(name);
  }

  names(): string[] {
    return [...this.checks.keys()];
  }

  /** Runs every check; one that throws is failing, with the error as detail. */
  evaluate(): HealthReport {
    const checks: CheckReport[] = [];
    for (const [name, check] of this.checks) {
      try {
        const result = check();
        checks.push({ name, ok: result.ok === true, detail: result.detail ?? '' });
      } catch (err) {
        checks.push({ name, ok: false, detail: `check threw: ${(err as Error).message}` });
      }
    }
    return { ok: checks.every((c) => c.ok), checks };
  }

  /** The short form the watchdog and systemd notifier need. */
  verdict(): HealthVerdict {
    const report = this.evaluate();
    return { ok: report.ok, failing: report.checks.filter((c) => !c.ok).map((c) => c.name) };
  }
}
