// RFC 3261 13.3.1.4: the UAS core, not the transaction, keeps a 2xx to an INVITE alive. Over an
// unreliable transport it resends the 2xx at T1, doubling up to T2, until the ACK arrives; on
// any transport, no ACK within 64*T1 ends the dialog (the caller then sends BYE).

export interface SipTimers {
  /** RTT estimate (RFC 3261 17.1.1.1), 500 ms by default. */
  readonly t1Ms: number;
  /** Longest retransmit interval for non-INVITE requests and INVITE responses, 4 s by default. */
  readonly t2Ms: number;
}

export const DEFAULT_SIP_TIMERS: SipTimers = { t1Ms: 500, t2Ms: 4000 };

export interface AckWait {
  /** The ACK arrived: stop resending. */
  acked(): void;
  /** The dialog ended some other way: stop everything. */
  cancel(): void;
}

export function awaitAck(opts: {
  readonly timers: SipTimers;
  /** UDP: resend; TCP/TLS: the transport is reliable, only wait. */
  readonly reliable: boolean;
  readonly resend: () => void;
  /** 64*T1 passed without an ACK. */
  readonly onTimeout: () => void;
}): AckWait {
  const { t1Ms, t2Ms } = opts.timers;
  const giveUpAt = Date.now() + 64 * t1Ms;
  let interval = t1Ms;
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    timer = undefined;
    if (Date.now() >= giveUpAt) {
      opts.onTimeout();
      return;
    }
    if (!opts.reliable) opts.resend();
    interval = Math.min(interval * 2, t2Ms);
    timer = setTimeout(tick, Math.min(interval, Math.max(0, giveUpAt - Date.now())));
  };
  timer = setTimeout(tick, opts.reliable ? 64 * t1Ms : t1Ms);
  const stop = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  return { acked: stop, cancel: stop };
}
