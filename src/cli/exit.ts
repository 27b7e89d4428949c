// Exit codes of the imedge command: 0 done, 1 failed at run time, 2 bad configuration,
// bad usage or a port that cannot be had (nothing a restart would fix).
import { ConfigError } from '../config/errors';
import { PortInUseError } from '../sip/stack';
import { PortBusyError } from '../admin/http';
import { AdminTokenError } from '../admin/token';
import { StoreError, StoreValidationError } from '../store';
import { WatchdogRequiredError } from '../app/device';
import { NonceSecretError } from '../app/server';
import { MsrpPortInUseError } from '../msrp/net';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_CONFIG = 2;

/** The exit code and one-line message for an error that ends the command. */
export function describeFatal(err: unknown): { code: number; message: string } {
  if (err instanceof ConfigError) return { code: EXIT_CONFIG, message: `configuration error: ${err.message}` };
  if (err instanceof PortInUseError) {
    const key = err.protocol === 'TLS' ? 'sip.tlsPort / --sips-port' : 'sip.port / --sip-port';
    return { code: EXIT_CONFIG, message: `port in use: ${err.message} (${key})` };
  }
  if (err instanceof PortBusyError) return { code: EXIT_CONFIG, message: `port in use: ${err.message} (http.port / --http-port)` };
  if (err instanceof StoreError) return { code: EXIT_CONFIG, message: `data store error (dataDir / --data-dir): ${err.message}` };
  if (err instanceof MsrpPortInUseError) {
    return { code: EXIT_CONFIG, message: `port in use: ${err.message} (${err.secure ? 'msrp.tlsPort / --msrps-port' : 'msrp.port / --msrp-port'})` };
  }
  if (err instanceof WatchdogRequiredError) return { code: EXIT_CONFIG, message: `${err.message} (watchdog.device / --watchdog-device)` };
  if (err instanceof AdminTokenError) return { code: EXIT_CONFIG, message: `admin token: ${err.message} (http.token)` };
  if (err instanceof NonceSecretError) return { code: EXIT_CONFIG, message: `digest nonce key: ${err.message} (dataDir / --data-dir)` };
  if (err instanceof StoreValidationError) return { code: EXIT_CONFIG, message: `invalid input: ${err.message}` };
  const e = err as { message?: string; code?: string };
  if (e && typeof e.message === 'string' && e.message.includes('port') && e.code === 'EADDRINUSE') {
    return { code: EXIT_CONFIG, message: `port in use: ${e.message}` };
  }
  return { code: EXIT_FAILURE, message: err instanceof Error ? err.message : String(err) };
}
