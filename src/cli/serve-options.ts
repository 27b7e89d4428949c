// The options of `imedge serve`, and their parse without commander (main.ts).
import { parseArgs } from 'node:util';

/** `imedge serve`'s own options (beside configFlags'), for commander and for serveOptions alike. */
export const SERVE_OPTIONS: readonly (readonly [flags: string, help: string])[] = [
  ['--bind <addr>', 'address every listener binds to'],
  ['--sip-port <n>', 'SIP UDP+TCP port (0 = any free port)'],
  ['--msrp-port <n>', 'MSRP TCP port (0 = any free port)'],
  ['--http-port <n>', 'admin HTTP port (0 = any free port)'],
  ['--watchdog-device <path>', 'turn the line-protocol watchdog on over this serial device'],
  ['--tls-cert <file>', 'PEM certificate: with --tls-key, turns on SIP over TLS and MSRP over TLS'],
  ['--tls-key <file>', 'PEM private key of --tls-cert'],
  ['--sips-port <n>', 'SIP over TLS port (default 5061, 0 = any free port)'],
  ['--msrps-port <n>', 'MSRP over TLS port (default 2856, 0 = any free port)'],
];

/** Options every subcommand that reads the configuration takes. */
export const CONFIG_OPTIONS: readonly (readonly [flags: string, help: string])[] = [
  ['--config <file>', 'configuration file (YAML or JSON)'],
  ['--board <name>', 'board profile from board/'],
  ['--domain <d>', 'SIP domain'],
  ['--data-dir <dir>', 'directory of imedge.db'],
];

/**
 * `imedge serve` with only well-formed options of its own: their values as commander would give
 * them (camelCase names). Anything else (help, a typo, a missing value) is undefined: commander
 * then parses the command line and answers it as usual.
 */
export function serveOptions(args: readonly string[]): Record<string, string> | undefined {
  if (args[0] !== 'serve') return undefined;
  const options: Record<string, { type: 'string' }> = {};
  for (const [flags] of [...CONFIG_OPTIONS, ...SERVE_OPTIONS]) options[(flags.split(' ')[0] ?? '').slice(2)] = { type: 'string' };
  try {
    const { values } = parseArgs({ args: args.slice(1), options, strict: true, allowPositionals: false });
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) if (typeof v === 'string') out[k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] = v;
    return out;
  } catch {
    return undefined;
  }
}
